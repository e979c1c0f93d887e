/**
 * Tracing bootstrap. Load it first: `node --import ./dist/instrument.js dist/main.js`;
 * main.ts also imports it first, so `node dist/main.js` traces too (the module runs once).
 * Nothing is patched: spans come from our interceptors, the handler adapter and ioredis's
 * diagnostics channel (src/observability/redis-diagnostics.ts).
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, starts the OpenTelemetry SDK with the OTLP/gRPC
 * trace exporter. Without it, nothing is loaded or registered and every tracing call in
 * the service is the API's no-op.
 *
 * This module reads `process.env` itself, the one exception to "only config/ reads the
 * environment": the OTEL_* variables belong to the OpenTelemetry SDK (its exporter reads
 * several of them directly) and must act before the configuration is loaded.
 */
import { otlpTraceSettings } from './observability/otlp-config.js';
import type { Tracing } from './observability/tracing-sdk.js';

const STARTED = Symbol.for('token-engine.tracing');
type WithTracing = typeof globalThis & { [STARTED]?: Promise<Tracing | undefined> };

async function start(): Promise<Tracing | undefined> {
  const settings = otlpTraceSettings(process.env);
  if (!settings) return undefined;
  // Loaded only when tracing is on: the exporter pulls in protobuf and HTTP/2 client code.
  const [{ OTLPTraceExporter }, { BatchSpanProcessor }, { startTracing }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-grpc'),
    import('@opentelemetry/sdk-trace'),
    import('./observability/tracing-sdk.js'),
  ]);
  const exporter = new OTLPTraceExporter({ url: settings.url });
  return startTracing([
    new BatchSpanProcessor({
      exporter,
      ...(settings.scheduledDelayMillis === undefined ? {} : { scheduledDelayMillis: settings.scheduledDelayMillis }),
    }),
  ]);
}

const scope = globalThis as WithTracing;
const tracing = await (scope[STARTED] ??= start());

/** True when spans are being exported. */
export const tracingEnabled: boolean = tracing !== undefined;

/** Exports buffered spans and stops tracing (graceful shutdown, spec §11). No-op when off. */
export async function shutdownTracing(): Promise<void> {
  await tracing?.shutdown();
}

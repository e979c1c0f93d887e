/**
 * Tracing bootstrap. Load it first: `node --import ./dist/instrument.js dist/main.js`;
 * main.ts also imports it first, so `node dist/main.js` traces too (the module runs once).
 * Nothing is patched: spans come from our interceptors, the handler adapter and ioredis's
 * diagnostics channel (src/observability/redis-diagnostics.ts).
 *
 * Tracing is on when an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or a traces exporter (OTEL_TRACES_EXPORTER) is set,
 * unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Then the OpenTelemetry Node
 * SDK starts and reads the standard OTEL_* variables itself (exporter, protocol, headers,
 * sampler, batch processor, resource, propagators); the protocol defaults to OTLP/gRPC and a
 * bare `host:port` endpoint means plaintext (src/observability/otlp-config.ts). Otherwise
 * nothing is loaded or registered and every tracing call in the service is the API's no-op.
 *
 * This module reads and writes `process.env` itself, the one exception to "only config/
 * reads the environment": the OTEL_* variables belong to the OpenTelemetry SDK, which reads
 * them directly, and they must act before the configuration is loaded. It writes only the
 * OTEL_* values it normalises, before the SDK reads them.
 */
import { tracingEnvOverrides } from './observability/otlp-config.js';
import type { Tracing } from './observability/tracing-sdk.js';

const STARTED = Symbol.for('token-engine.tracing');
type WithTracing = typeof globalThis & { [STARTED]?: Promise<Tracing | undefined> };

async function start(): Promise<Tracing | undefined> {
  const overrides = tracingEnvOverrides(process.env);
  if (overrides === undefined) return undefined;
  Object.assign(process.env, overrides);
  // Loaded only when tracing is on: the SDK pulls in its exporters, protobuf and HTTP/2 client code.
  const { startTracing } = await import('./observability/tracing-sdk.js');
  return startTracing();
}

const scope = globalThis as WithTracing;
const tracing = await (scope[STARTED] ??= start());

/** True when the OpenTelemetry SDK was started. */
export const tracingEnabled: boolean = tracing !== undefined;

/** Exports buffered spans and stops tracing (graceful shutdown). No-op when off. */
export async function shutdownTracing(): Promise<void> {
  await tracing?.shutdown();
}

import { context, logs, propagation, trace } from '@opentelemetry/api';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { subscribeRedisSpans } from './redis-diagnostics.js';
import { tokenEngineTracer } from './tracing.js';

/** The default `service.name` resource attribute (OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES override it). */
export const SERVICE_NAME = 'token-engine';

/** A started tracing pipeline. */
export interface Tracing {
  /** Flushes, stops exporting and unregisters everything `startTracing` registered. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK (`NodeSDK`) for this process, configured by the OTEL_*
 * environment as the SDK documents it: OTEL_TRACES_EXPORTER and the OTLP exporter
 * variables, OTEL_TRACES_SAMPLER[_ARG], OTEL_BSP_*, OTEL_PROPAGATORS (default W3C trace
 * context and baggage), OTEL_NODE_RESOURCE_DETECTORS, OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES over a default `service.name` of `token-engine`. `spanProcessors`
 * replaces the exporters the environment names (tests).
 *
 * Traces only: metrics are prom-client's on /metrics and logs are pino's on stdout, so no
 * metric reader or log processor is set up whatever OTEL_METRICS_EXPORTER or
 * OTEL_LOGS_EXPORTER say. No instrumentation is registered, so nothing is patched; Redis
 * command spans come from ioredis's diagnostics channel. One per process.
 */
export function startTracing(spanProcessors?: NodeSDKConfiguration['spanProcessors']): Tracing {
  const sdk = new NodeSDK({
    // Detected attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, host, process) win over these.
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME })),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    ...(spanProcessors === undefined ? {} : { spanProcessors }),
  });
  sdk.start();
  const stopRedisSpans = subscribeRedisSpans(tokenEngineTracer());
  let stopped: Promise<void> | undefined;
  return {
    shutdown: () =>
      (stopped ??= (async () => {
        stopRedisSpans();
        // Resolves even when the collector is away: the spans are lost, the stop goes on.
        await sdk.shutdown().catch(() => undefined);
        trace.disable();
        logs.disable();
        propagation.disable();
        context.disable();
      })()),
  };
}

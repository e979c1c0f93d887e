import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, envDetector, detectResources, resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { subscribeRedisSpans } from './redis-diagnostics.js';
import { tokenEngineTracer } from './tracing.js';

/** The `service.name` resource attribute of every exported span. */
export const SERVICE_NAME = 'token-engine';

/** A started tracing pipeline. */
export interface Tracing {
  /** Exports what is still buffered; resolves even when the collector is away. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting and unregisters everything `startTracing` registered. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK for this process: an AsyncLocalStorage context
 * manager, the W3C trace-context propagator, a tracer provider with resource
 * `service.name=token-engine` (plus OTEL_RESOURCE_ATTRIBUTES), the given span processors,
 * and Redis command spans from ioredis's diagnostics channel. One per process.
 */
export function startTracing(spanProcessors: SpanProcessor[]): Tracing {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME }));
  const provider = new TracerProvider({ resource, spanProcessors });
  trace.setGlobalTracerProvider(provider);
  const stopRedisSpans = subscribeRedisSpans(tokenEngineTracer());
  let stopped: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () =>
      (stopped ??= (async () => {
        stopRedisSpans();
        await provider.shutdown().catch(() => undefined);
        trace.disable();
        propagation.disable();
        context.disable();
      })()),
  };
}

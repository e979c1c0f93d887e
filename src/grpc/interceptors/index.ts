import type { ServerInterceptor } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { CallerRegistry } from '../../access/caller-registry.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { tokenEngineTracer } from '../../observability/tracing.js';
import type { IdempotencyStore } from '../../store/ports.js';
import { authenticationInterceptor, type Authenticate } from './authentication.js';
import { authorizationInterceptor } from './authorization.js';
import { correlationInterceptor } from './correlation.js';
import { idempotencyInterceptor } from './idempotency.js';
import { tracingInterceptor } from './tracing.js';
import { validationInterceptor } from './validation.js';

export interface InterceptorDeps {
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly authenticate: Authenticate;
  readonly callers: CallerRegistry;
  readonly idempotency: IdempotencyStore;
  readonly lockTtlMs: number;
  readonly idempotencyTtlMs: number;
  /** Defaults to the global `token-engine` tracer (a no-op until src/instrument.ts starts the SDK). */
  readonly tracer?: Tracer;
}

/**
 * The one place that decides the order (spec §5). The first interceptor is the outermost:
 * tracing (the SERVER span, so rejected calls get spans too) → correlation id (request
 * context, echo header, request metrics, access log) → authentication → caller
 * authorization → idempotency → validation → handler.
 */
export function interceptorChain(deps: InterceptorDeps): ServerInterceptor[] {
  const tracer = deps.tracer ?? tokenEngineTracer();
  return [
    tracingInterceptor(tracer),
    correlationInterceptor(deps.metrics, deps.log),
    authenticationInterceptor(deps.authenticate, tracer),
    authorizationInterceptor(deps.callers, tracer),
    idempotencyInterceptor({
      store: deps.idempotency,
      metrics: deps.metrics,
      log: deps.log,
      lockTtlMs: deps.lockTtlMs,
      idempotencyTtlMs: deps.idempotencyTtlMs,
      tracer,
    }),
    validationInterceptor(tracer),
  ];
}

import type { ServerInterceptor } from '@grpc/grpc-js';
import type { CallerRegistry } from '../../config/caller-registry.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { IdempotencyStore } from '../../store/ports.js';
import { authenticationInterceptor, type Authenticate } from './authentication.js';
import { authorizationInterceptor } from './authorization.js';
import { correlationInterceptor } from './correlation.js';
import { idempotencyInterceptor } from './idempotency.js';
import { validationInterceptor } from './validation.js';

export interface InterceptorDeps {
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly authenticate: Authenticate;
  readonly callers: CallerRegistry;
  readonly idempotency: IdempotencyStore;
  readonly lockTtlMs: number;
  readonly idempotencyTtlMs: number;
}

/**
 * The one place that decides the order (spec §5). The first interceptor is the outermost:
 * correlation id (request context, echo header, request metrics) → authentication →
 * caller authorization → idempotency → validation → handler. Tracing, when it lands,
 * goes first so that rejected calls get spans too.
 */
export function interceptorChain(deps: InterceptorDeps): ServerInterceptor[] {
  return [
    correlationInterceptor(deps.metrics),
    authenticationInterceptor(deps.authenticate),
    authorizationInterceptor(deps.callers),
    idempotencyInterceptor({
      store: deps.idempotency,
      metrics: deps.metrics,
      log: deps.log,
      lockTtlMs: deps.lockTtlMs,
      idempotencyTtlMs: deps.idempotencyTtlMs,
    }),
    validationInterceptor(),
  ];
}

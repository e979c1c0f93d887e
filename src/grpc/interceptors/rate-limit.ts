import type { Tracer } from '@opentelemetry/api';
import type { RateLimits } from '../../access/rate-limits.js';
import { DomainError, isDomainError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { inSpanAsync } from '../../observability/tracing.js';
import type { RateLimitStore } from '../../store/ports.js';
import { HEADER } from '../metadata.js';
import type { Step } from './step.js';

export const RETRY_AFTER_HEADER = HEADER.retryAfterMs;

/** While the store stays unreachable, the log says so at most this often (the metric counts every call). */
export const UNCHECKED_WARNING_INTERVAL_MS = 10_000;

export interface RateLimitDeps {
  readonly limits: RateLimits;
  readonly store: RateLimitStore;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Span `rate limit` around the store call. */
  readonly tracer: Tracer;
  /** For spacing out the "unchecked" warning. */
  readonly now: () => number;
}

/**
 * Holds each caller to its rate limit (`access/rate-limits.ts`): a caller with no limit
 * costs nothing, a limited one one store round trip. Over the limit the call is refused
 * with RESOURCE_EXHAUSTED and the time until a call would pass, in milliseconds, as the
 * `retry-after-ms` header and trailer. When the store is unreachable the call goes on
 * unchecked (counted, and logged at most every UNCHECKED_WARNING_INTERVAL_MS): a limiter
 * must not make a call that needs no store fail, and one that needs it fails on its own.
 * Health checks skip it.
 */
export function rateLimitStep(deps: RateLimitDeps): Step {
  let lastWarningAt = Number.NEGATIVE_INFINITY;
  return async (call, next) => {
    if (call.rpc.public) return next();
    const identity = call.callerIdentity ?? '';
    const limit = deps.limits.limitOf(identity);
    if (limit === undefined) return next();
    let decision: Awaited<ReturnType<RateLimitStore['take']>>;
    try {
      decision = await inSpanAsync(deps.tracer, 'rate limit', () => deps.store.take(identity, limit));
    } catch (err) {
      if (!isDomainError(err, 'store_unavailable')) throw err;
      deps.metrics.rateLimitUnchecked.inc({ rpc_method: call.rpc.path });
      const now = deps.now();
      if (now - lastWarningAt >= UNCHECKED_WARNING_INTERVAL_MS) {
        lastWarningAt = now;
        deps.log.warn(
          { err: (err.cause as Error | undefined)?.message, rpc_method: call.rpc.path },
          'rate-limit store unavailable; letting calls through unchecked',
        );
      }
      return next();
    }
    if (decision.allowed) return next();
    const retryAfterMs = String(decision.retryAfterMs);
    call.responseHeaders.set(RETRY_AFTER_HEADER, retryAfterMs);
    call.errorTrailers.set(RETRY_AFTER_HEADER, retryAfterMs);
    deps.metrics.rateLimited.inc({ caller_identity: deps.limits.labelOf(identity), rpc_method: call.rpc.path });
    throw new DomainError('rate_limited', `rate limit exceeded; retry after ${retryAfterMs} ms`);
  };
}

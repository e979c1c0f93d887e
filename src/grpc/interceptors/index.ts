import type { Tracer } from '@opentelemetry/api';
import type { Authenticate } from '../../access/authenticate.js';
import type { CallerRegistry } from '../../access/caller-registry.js';
import type { RateLimits } from '../../access/rate-limits.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { tokenEngineTracer } from '../../observability/tracing.js';
import type { IdempotencyStore, RateLimitStore } from '../../store/ports.js';
import { authenticationStep } from './authentication.js';
import { authorizationStep } from './authorization.js';
import { correlationStep } from './correlation.js';
import { idempotencyStep } from './idempotency.js';
import { rateLimitStep } from './rate-limit.js';
import type { Step } from './step.js';
import { tracingStep } from './tracing.js';
import { validationStep } from './validation.js';

export interface ChainDeps {
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly authenticate: Authenticate;
  readonly callers: CallerRegistry;
  /** Each caller's rate limit, and the shared store that counts it. */
  readonly rateLimits: RateLimits;
  readonly rateLimitStore: RateLimitStore;
  readonly idempotency: IdempotencyStore;
  readonly lockTtlMs: number;
  readonly idempotencyTtlMs: number;
  /** Defaults to the global `token-engine` tracer (a no-op until src/instrument.ts starts the SDK). */
  readonly tracer?: Tracer;
  /** Wall-clock milliseconds (defaults to Date.now). */
  readonly now?: () => number;
}

/**
 * The one place that decides the order. The first step is the outermost: tracing (the
 * SERVER span, so refused calls get spans too) → correlation id (request context, echo
 * header, request metrics, access log) → authentication → caller authorization → rate
 * limit → idempotency → validation → handler. Every descriptor goes through the same
 * chain; a step that does not concern a method (idempotency without a spec, credentials
 * and rate limits for a health check) passes it on. The rate limit comes after
 * authorization, so only a caller's permitted calls spend its budget (and a refused one
 * costs no store call), and before idempotency, so a caller over its limit costs no claim.
 */
export function interceptorChain(deps: ChainDeps): Step[] {
  const tracer = deps.tracer ?? tokenEngineTracer();
  return [
    tracingStep(tracer),
    correlationStep(deps.metrics, deps.log),
    authenticationStep(deps.authenticate, tracer),
    authorizationStep(deps.callers, tracer),
    rateLimitStep({
      limits: deps.rateLimits,
      store: deps.rateLimitStore,
      metrics: deps.metrics,
      log: deps.log,
      tracer,
      now: deps.now ?? Date.now,
    }),
    idempotencyStep({
      store: deps.idempotency,
      metrics: deps.metrics,
      log: deps.log,
      lockTtlMs: deps.lockTtlMs,
      idempotencyTtlMs: deps.idempotencyTtlMs,
      tracer,
    }),
    validationStep(tracer),
  ];
}

import type { Tracer } from '@opentelemetry/api';
import type { Authenticate } from '../../access/authenticate.js';
import type { CallerRegistry } from '../../access/caller-registry.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { tokenEngineTracer } from '../../observability/tracing.js';
import type { IdempotencyStore } from '../../store/ports.js';
import { authenticationStep } from './authentication.js';
import { authorizationStep } from './authorization.js';
import { correlationStep } from './correlation.js';
import { idempotencyStep } from './idempotency.js';
import type { Step } from './step.js';
import { tracingStep } from './tracing.js';
import { validationStep } from './validation.js';

export interface ChainDeps {
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
 * The one place that decides the order. The first step is the outermost: tracing (the
 * SERVER span, so refused calls get spans too) → correlation id (request context, echo
 * header, request metrics, access log) → authentication → caller authorization →
 * idempotency → validation → handler. Every descriptor goes through the same chain; a
 * step that does not concern a method (idempotency without a spec, credentials for a
 * health check) passes it on.
 */
export function interceptorChain(deps: ChainDeps): Step[] {
  const tracer = deps.tracer ?? tokenEngineTracer();
  return [
    tracingStep(tracer),
    correlationStep(deps.metrics, deps.log),
    authenticationStep(deps.authenticate, tracer),
    authorizationStep(deps.callers, tracer),
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

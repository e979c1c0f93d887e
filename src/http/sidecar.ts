import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { TenantRegistry } from '../tenancy/tenants.js';

/** One readiness check: resolves when healthy, rejects with a reason otherwise. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/**
 * A failed readiness check. The endpoint needs no credentials, so its message (the
 * `reason` served) names what failed and how often, never which tenant: `details` (the
 * tenant ids) go to the log only.
 */
export class NotReady extends Error {
  override readonly name = 'NotReady';
  constructor(
    reason: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(reason);
  }
}

/** `<what> for <n> tenant(s)`, with the tenant ids for the log. */
export function notReadyForTenants(what: string, tenantIds: readonly string[]): NotReady {
  const count = tenantIds.length;
  return new NotReady(`${what} for ${count} tenant${count === 1 ? '' : 's'}`, { tenant_ids: [...tenantIds] });
}

export interface SidecarDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  /** What /metrics serves: this process's registry, or the whole host's with workers. */
  readonly metricsText?: () => Promise<string>;
  readonly tenants: TenantRegistry;
  readonly defaultTenantId: string;
  readonly jwksCacheMaxAgeSeconds: number;
  readonly checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: readiness answers 503. */
  readonly isShuttingDown: () => boolean;
}

/** The HTTP sidecar: liveness, readiness, JWKS per tenant, Prometheus metrics. */
export function createSidecar(deps: SidecarDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });

  app.get('/healthz/live', async (_req, reply) => reply.code(200).send());

  app.get('/healthz/ready', async (_req, reply) => {
    const failure = await firstFailure(deps);
    if (!failure) return reply.code(200).send();
    return reply
      .code(503)
      .type('application/json')
      .send(`${JSON.stringify({ status: 'unavailable', ...failure })}\n`);
  });

  const jwks = (tenantId: string) => async (_req: unknown, reply: FastifyReply) => {
    const tenant = deps.tenants.get(tenantId);
    if (!tenant) return reply.code(404).type('application/json').send({ error: 'tenant not found' });
    const set = tenant.keys.jwks();
    if (set.keys.length === 0) return reply.code(503).type('application/json').send({ error: 'no signing keys available' });
    return reply
      .code(200)
      .type('application/json')
      .header('cache-control', `public, max-age=${deps.jwksCacheMaxAgeSeconds}`)
      .send(`${JSON.stringify(set)}\n`);
  };
  app.get('/.well-known/jwks.json', (req, reply) => jwks(deps.defaultTenantId)(req, reply));
  app.get<{ Params: { tenantId: string } }>('/tenants/:tenantId/.well-known/jwks.json', (req, reply) =>
    jwks(req.params.tenantId)(req, reply),
  );

  const metricsText = deps.metricsText ?? (() => deps.metrics.registry.metrics());
  app.get('/metrics', async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await metricsText()));
  return app;
}

/** Every check's outcome now (for the readiness gauge); never throws. */
export async function readinessOutcomes(checks: readonly ReadinessCheck[]): Promise<{ check: string; ok: boolean }[]> {
  return Promise.all(
    checks.map((c) =>
      c.check().then(
        () => ({ check: c.name, ok: true }),
        () => ({ check: c.name, ok: false }),
      ),
    ),
  );
}

async function firstFailure(deps: SidecarDeps): Promise<{ failed_check: string; reason: string } | undefined> {
  if (deps.isShuttingDown()) return { failed_check: 'shutdown', reason: 'shutting down' };
  for (const check of deps.checks) {
    try {
      await check.check();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof NotReady) deps.log.warn({ failed_check: check.name, reason, ...err.details }, 'not ready');
      return { failed_check: check.name, reason };
    }
  }
  return undefined;
}

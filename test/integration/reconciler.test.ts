import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';

const MIN = 60_000;
const redis = testRedis();

/** Two replicas of one tenant over the shared Redis, on one controlled clock. */
const tenantId = uniquePrefix('reconciler');
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
let a: App;
let b: App;
let httpA = '';

async function replica(): Promise<App> {
  const { config } = loadConfig({
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
    TOKEN_ENGINE_SIGNING_ALG: 'ES256',
    TOKEN_ENGINE_GRPC_ADDR: '127.0.0.1:0',
    TOKEN_ENGINE_HTTP_ADDR: '127.0.0.1:0',
    TOKEN_ENGINE_RECONCILIATION_INTERVAL: '5m',
  });
  return buildApp(config, { clock, log: createLogger('silent') });
}

const sample = async (app: App, name: string, outcome?: string): Promise<number> => {
  const metric = await app.metrics.registry.getSingleMetric(name)?.get();
  return (
    metric?.values.filter((v) => outcome === undefined || v.labels['outcome'] === outcome).reduce((sum, v) => sum + v.value, 0) ??
    0
  );
};

beforeAll(async () => {
  [a, b] = await Promise.all([replica(), replica()]);
  // The test drives the ticks itself: no background timer may run one in between.
  vi.spyOn(a.reconciler, 'start').mockImplementation(() => undefined);
  httpA = `http://127.0.0.1:${(await a.start()).httpPort}`;
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await redis.quit();
});

describe('the reconciler in the app, two replicas, controlled clock', () => {
  it('one replica per interval restores a lost expiry; readiness follows the last completed run', async () => {
    const pair = await a.tokens.issue({ tenantId, subject: 'u', audiences: [], claims: {} });
    await a.tokens.revokeUser(tenantId, 'someone', { identity: 'c' });
    const keys = new TenantKeys(tenantId);
    const [, found] = await redis.scan('0', 'MATCH', `${keys.prefix}rt:*`, 'COUNT', 100_000);
    const record = found[0] ?? '';
    expect(await redis.persist(record)).toBe(1);
    expect(await redis.persist(keys.userWatermark('someone'))).toBe(1);

    // Not due yet: nothing runs.
    await Promise.all([a.reconciler.tick(), b.reconciler.tick()]);
    expect(await sample(a, 'token_engine_reconciler_runs_total')).toBe(0);
    expect(await redis.pttl(record)).toBe(-1);

    clock.advance(5 * MIN);
    await a.reconciler.tick();
    await b.reconciler.tick();
    expect(await sample(a, 'token_engine_reconciler_runs_total', 'success')).toBe(1);
    expect(await sample(b, 'token_engine_reconciler_runs_total', 'skipped')).toBe(1);
    expect(await sample(a, 'token_engine_reconciler_fixed_keys_total')).toBe(2);
    expect(await redis.pttl(record)).toBeGreaterThan(0);
    expect(await redis.pttl(keys.userWatermark('someone'))).toBeGreaterThan(0);
    // The token still refreshes.
    await expect(a.tokens.refresh({ tenantId, refreshToken: pair.refreshToken, claims: {} })).resolves.toBeDefined();

    const ready = async () => {
      const res = await fetch(`${httpA}/healthz/ready`);
      return { status: res.status, body: res.status === 200 ? undefined : ((await res.json()) as Record<string, string>) };
    };
    expect((await ready()).status).toBe(200);
    // Two intervals without a completed run (no tick: a stuck or failing job) → not ready.
    clock.advance(10 * MIN + 1_000);
    expect(await ready()).toEqual({
      status: 503,
      body: {
        status: 'unavailable',
        failed_check: 'reconciler',
        reason: 'no reconciler run completed for 601 s (interval 300 s)',
      },
    });
    // The lease taken 5 minutes ago by this clock lives in Redis time (still held): the run
    // is skipped, which counts as done for readiness.
    await a.reconciler.tick();
    expect((await ready()).status).toBe(200);
    const text = await a.metrics.registry.metrics();
    expect(text).toMatch(/^token_engine_reconciler_runs_total\{outcome="success"\} 1$/m);
    expect(text).toMatch(/^token_engine_reconciler_runs_total\{outcome="skipped"\} 1$/m);
    expect(text).toMatch(/^token_engine_reconciler_runs_total\{outcome="error"\} 0$/m);
    expect(text).toMatch(/^token_engine_reconciler_fixed_keys_total 2$/m);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { Reconciler, RECONCILER_TICK_MS } from '../../../src/jobs/reconciler.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import { createMemoryStores } from '../../../src/store/memory/index.js';
import type { MaintenanceStore, Stores } from '../../../src/store/ports.js';
import { TenantRegistry, type Tenant } from '../../../src/tenancy/tenants.js';
import { mintRefreshToken, newFamilyId } from '../../../src/tokens/refresh-token.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function tenant(id: string): Tenant {
  return { id, storePolicy: { tenantId: id, revocationRetentionMs: DAY } } as unknown as Tenant;
}

function setup(
  options: { intervalMs?: number; store?: MaintenanceStore; stores?: Stores; clock?: ManualClock; metrics?: Metrics } = {},
) {
  const clock = options.clock ?? new ManualClock();
  const stores = options.stores ?? createMemoryStores(clock);
  const tenants = new TenantRegistry(() => undefined);
  tenants.add(tenant('t1'));
  tenants.add(tenant('t2'));
  const metrics = options.metrics ?? createMetrics();
  const reconciler = new Reconciler({
    tenants,
    store: options.store ?? stores.maintenance,
    locks: stores.locks,
    log: createLogger('silent'),
    metrics,
    now: () => clock.now(),
    intervalMs: options.intervalMs ?? 5 * MIN,
  });
  const runs = async (outcome: string) =>
    (await metrics.reconcilerRuns.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { clock, stores, reconciler, metrics, runs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Reconciler', () => {
  it('runs once per interval, starting one interval after the process starts', async () => {
    const s = setup();
    await s.reconciler.tick();
    expect(await s.runs('success')).toBe(0);
    s.clock.advance(5 * MIN - 1);
    await s.reconciler.tick();
    expect(await s.runs('success')).toBe(0);
    s.clock.advance(1);
    await s.reconciler.tick();
    expect(await s.runs('success')).toBe(2);
    await s.reconciler.tick();
    expect(await s.runs('success')).toBe(2);
  });

  it('sweeps expired entries in the memory store and counts them', async () => {
    const s = setup();
    const policy = { tenantId: 't1', revocationRetentionMs: DAY };
    for (let i = 0; i < 3; i++) {
      const t = mintRefreshToken();
      await s.stores.tokens.issue(policy, {
        digest: t.digest,
        familyId: newFamilyId(),
        subject: 'u',
        audiences: [],
        claims: {},
        issuedAt: s.clock.now(),
        expiresAt: s.clock.now() + MIN,
      });
    }
    s.clock.advance(5 * MIN);
    const runs = await s.reconciler.run();
    expect(runs.find((r) => r.tenantId === 't1')).toMatchObject({ outcome: 'success', report: { fixed: 3 } });
    expect((await s.metrics.reconcilerFixedKeys.get()).values[0]?.value).toBe(3);
  });

  it('lets one replica per interval do the work; the others count it as done', async () => {
    const clock = new ManualClock();
    const shared = createMemoryStores(clock);
    const a = setup({ clock, stores: shared });
    const b = setup({ clock, stores: shared });
    clock.advance(5 * MIN);
    await a.reconciler.tick();
    await b.reconciler.tick();
    expect([await a.runs('success'), await b.runs('success'), await b.runs('skipped')]).toEqual([2, 0, 2]);
    // Both stay ready: the work was done this interval.
    clock.advance(6 * MIN);
    await expect(a.reconciler.check()).resolves.toBeUndefined();
    await expect(b.reconciler.check()).resolves.toBeUndefined();
    // The lease lapses after one interval: the next due replica takes it.
    await b.reconciler.tick();
    expect(await b.runs('success')).toBe(2);
  });

  it('readiness fails when no run completed for two intervals, and recovers with the next run', async () => {
    let failing = true;
    const store: MaintenanceStore = {
      reconcile: async () => {
        if (failing) throw new Error('store unavailable');
        return { examined: 0, fixed: 0, unknown: 0, auditTrimmed: 0, complete: true };
      },
    };
    const s = setup({ store });
    s.clock.advance(5 * MIN);
    await s.reconciler.tick();
    expect(await s.runs('error')).toBe(2);
    await expect(s.reconciler.check()).resolves.toBeUndefined();
    s.clock.advance(5 * MIN);
    await s.reconciler.tick();
    s.clock.advance(1);
    await expect(s.reconciler.check()).rejects.toThrow(/no reconciler run completed for 600 s/);
    failing = false;
    s.clock.advance(5 * MIN);
    await s.reconciler.tick();
    await expect(s.reconciler.check()).resolves.toBeUndefined();
  });

  it('a failed run gives the lease back, so another replica can retry at once', async () => {
    const clock = new ManualClock();
    const shared = createMemoryStores(clock);
    let calls = 0;
    const failing: MaintenanceStore = {
      reconcile: async () => {
        calls += 1;
        throw new Error('boom');
      },
    };
    const a = setup({ clock, stores: shared, store: failing });
    const b = setup({ clock, stores: shared });
    clock.advance(5 * MIN);
    await a.reconciler.tick();
    await b.reconciler.tick();
    expect(calls).toBe(2);
    expect(await b.runs('success')).toBe(2);
  });

  it('works with intervals beyond the 24.8-day timer limit: short ticks, timestamps compared', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const s = setup({ intervalMs: 30 * DAY });
      const tick = vi.spyOn(s.reconciler, 'tick');
      s.reconciler.start();
      await vi.advanceTimersByTimeAsync(RECONCILER_TICK_MS);
      expect(tick).toHaveBeenCalledTimes(1);
      expect(await s.runs('success')).toBe(0);
      s.clock.advance(30 * DAY);
      await vi.advanceTimersByTimeAsync(RECONCILER_TICK_MS);
      expect(await s.runs('success')).toBe(2);
      await s.reconciler.stop();
      await vi.advanceTimersByTimeAsync(RECONCILER_TICK_MS);
      expect(tick).toHaveBeenCalledTimes(2);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});

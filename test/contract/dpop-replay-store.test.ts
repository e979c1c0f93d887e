import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeStoreTargets } from '../support/stores.js';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

// The behaviour every DpopReplayStore must have, on every store target.
describeStoreTargets('DpopReplayStore', (backend, stores) => {
  it('accepts a jti once, then refuses it until it lapses', async () => {
    const s = stores();
    const tenant = s.tenant();
    const jti = randomUUID();
    expect(await s.dpopReplay.claim(tenant, JKT, jti, 300)).toBe(true);
    expect(await s.dpopReplay.claim(tenant, JKT, jti, 300)).toBe(false);
    await s.elapse(450);
    expect(await s.dpopReplay.claim(tenant, JKT, jti, 60_000)).toBe(true);
  });

  it('keeps ids apart by tenant and by key thumbprint', async () => {
    const s = stores();
    const [one, two] = [s.tenant(), s.tenant()];
    const jti = randomUUID();
    expect(await s.dpopReplay.claim(one, JKT, jti, 60_000)).toBe(true);
    expect(await s.dpopReplay.claim(two, JKT, jti, 60_000)).toBe(true);
    expect(await s.dpopReplay.claim(one, `${JKT.slice(0, -1)}A`, jti, 60_000)).toBe(true);
    expect(await s.dpopReplay.claim(one, JKT, jti, 60_000)).toBe(false);
  });

  it('never confuses ids that only differ by where a separator would go', async () => {
    const s = stores();
    const tenant = s.tenant();
    expect(await s.dpopReplay.claim(tenant, JKT, 'a:b', 60_000)).toBe(true);
    expect(await s.dpopReplay.claim(tenant, JKT, 'a', 60_000)).toBe(true);
    expect(await s.dpopReplay.claim(tenant, `${JKT}:a`, 'b', 60_000)).toBe(true);
  });

  it('of 50 concurrent claims of one id exactly one succeeds', async () => {
    const s = stores();
    const tenant = s.tenant();
    const jti = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => s.dpopReplay.claim(tenant, JKT, jti, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  // Redis targets only: the memory store has no key to read, its lapse is the first test.
  if (backend === 'memory') return;
  it('stores an id under the tenant hash tag with a TTL: the key lapses by itself', async () => {
    const s = stores();
    if (!s.raw) throw new Error('a Redis target without its connection');
    const tenant = s.tenant();
    const jti = randomUUID();
    expect(await s.dpopReplay.claim(tenant, JKT, jti, 60_000)).toBe(true);
    const { TenantKeys } = await import('../../src/store/redis/keys.js');
    const k = new TenantKeys(tenant);
    expect(k.dpopJti(JKT, jti).startsWith(k.prefix)).toBe(true);
    const ttl = await s.raw.pttl(k.dpopJti(JKT, jti));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

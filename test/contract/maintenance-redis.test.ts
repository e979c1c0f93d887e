import { afterAll, describe, expect, it } from 'vitest';
import { RedisMaintenanceStore } from '../../src/store/redis/maintenance-store.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { RedisTokenStore } from '../../src/store/redis/token-store.js';
import { uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';
import { maintenanceStoreContract } from './maintenance-store.contract.js';

const redis = testRedis();
afterAll(async () => {
  await redis.quit();
});

maintenanceStoreContract(
  'redis',
  () => ({
    tokens: new RedisTokenStore(redis),
    maintenance: new RedisMaintenanceStore(redis),
    now: () => Date.now(),
    raw: redis,
  }),
  () => uniquePrefix('maintenance'),
);

describe('MaintenanceStore: redis', () => {
  it('covers a key space larger than one pass allows over several passes, resuming where it stopped', async () => {
    const tenantId = uniquePrefix('maintenance-budget');
    const k = new TenantKeys(tenantId);
    const count = 3_000;
    const pipeline = redis.pipeline();
    for (let i = 0; i < count; i++) pipeline.set(k.familyRevoked(`family-${i}`), '1');
    await pipeline.exec();

    // One SCAN page per pass: the shared test Redis holds other files' keys too, so a
    // pass sees only part of this tenant's.
    const store = new RedisMaintenanceStore(redis, Date.now, 1);
    const policy = { tenantId, revocationRetentionMs: 60_000 };
    let fixed = 0;
    let passes = 0;
    let complete = false;
    while (!complete && passes < 10_000) {
      const report = await store.reconcile(policy);
      fixed += report.fixed;
      complete = report.complete;
      passes += 1;
    }
    expect(complete).toBe(true);
    expect(passes).toBeGreaterThan(1);
    expect(fixed).toBe(count);
    const [, left] = await redis.scan('0', 'MATCH', k.pattern(), 'COUNT', 100_000);
    for (const key of left.slice(0, 50)) expect(await redis.pttl(key)).toBeGreaterThan(0);
    if (left.length > 0) await redis.del(...left);
  });
});

describe('tenant key pattern on a real server', () => {
  it('matches every key of the tenant and none of a tenant whose encoded id extends it', async () => {
    const base = uniquePrefix('pattern');
    // A length that is a multiple of 3 makes base64url(id) a prefix of base64url(id + 'y').
    const id = base.padEnd(Math.ceil(base.length / 3) * 3, 'x');
    const mine = new TenantKeys(id);
    const longer = new TenantKeys(`${id}y`);
    expect(longer.prefix.startsWith(mine.prefix.slice(0, -2))).toBe(true);
    const ours = [
      mine.sequence(),
      mine.audit(),
      mine.refreshToken('d'),
      mine.familyRevoked('f'),
      mine.userAudienceWatermark('u', 'a'),
    ];
    const theirs = [longer.sequence(), longer.refreshToken('d')];
    for (const key of [...ours, ...theirs]) await redis.set(key, '1', 'PX', 60_000);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', mine.pattern(), 'COUNT', 1_000);
      for (const key of keys) seen.add(key);
      cursor = next;
    } while (cursor !== '0');
    expect([...seen].sort()).toEqual([...ours].sort());
  });
});

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { MemoryIdempotencyStore } from '../../src/store/memory/idempotency-store.js';
import { createMemoryStores } from '../../src/store/memory/index.js';
import type { MemoryTokenStore } from '../../src/store/memory/token-store.js';
import type { NewTokenFamily, RevocationAudit, TenantStorePolicy } from '../../src/store/ports.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { RedisMaintenanceStore } from '../../src/store/redis/maintenance-store.js';
import { mintRefreshToken, newFamilyId } from '../../src/tokens/refresh-token.js';
import { uniquePrefix } from '../support/redis.js';
import { describeStoreTargets, newTokenFamily } from '../support/stores.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The reconciler's store behaviour, on every store target. The shared part: a reconcile
 * never changes what a token answers. The Redis part: keys that lost their expiry get one
 * back, and nothing else is touched. The memory part: what has expired is swept.
 */
describeStoreTargets('MaintenanceStore', (backend, stores) => {
  const setup = () => {
    const s = stores();
    const policy: TenantStorePolicy = { tenantId: s.tenant(), revocationRetentionMs: 30 * DAY };
    const issue = async (subject: string, audiences: string[] = ['api']): Promise<NewTokenFamily> => {
      const token = newTokenFamily(s.now(), DAY, subject, audiences);
      await s.tokens.issue(policy, token);
      return token;
    };
    const audit = (scope: RevocationAudit['scope'], target = ''): RevocationAudit => ({
      callerIdentity: 'caller',
      tokenRef: '',
      target,
      scope,
      occurredAt: s.now(),
    });
    const kind = async (digest: string) => (await s.tokens.present(policy, digest, s.now())).kind;
    return { ...s, policy, issue, audit, kind };
  };

  it('leaves live data as it answers: active stays active, revoked stays revoked', async () => {
    const s = setup();
    const live = await s.issue('alice');
    const byToken = await s.issue('bob');
    const byUser = await s.issue('carol');
    const byAudience = await s.issue('dave', ['shop']);
    await s.tokens.revokeToken(s.policy, byToken.digest, s.audit('token'));
    await s.tokens.revokeUser(s.policy, 'carol', s.audit('user', 'carol'));
    await s.tokens.revokeAudience(s.policy, 'shop', s.audit('audience', 'shop'));

    const report = await s.maintenance.reconcile(s.policy);
    expect(report).toMatchObject({ fixed: 0, unknown: 0, complete: true });
    expect(await s.kind(live.digest)).toBe('active');
    for (const t of [byToken, byUser, byAudience]) expect(await s.kind(t.digest)).toBe('revoked');
    expect((await s.tokens.recentAudit(s.policy.tenantId, 10)).length).toBe(3);
  });

  it('reports nothing for a tenant that has no data', async () => {
    const s = setup();
    expect(await s.maintenance.reconcile(s.policy)).toEqual({
      examined: 0,
      fixed: 0,
      unknown: 0,
      auditTrimmed: 0,
      complete: true,
    });
  });

  if (backend !== 'memory')
    it('Redis: gives an expiry back to token data that lost it, and touches nothing else', async () => {
      const s = setup();
      const raw = s.raw;
      if (!raw) throw new Error(`${backend}: the contract needs a raw connection`);
      const k = new TenantKeys(s.policy.tenantId);
      const token = await s.issue('erin', ['api']);
      const revoked = await s.issue('frank');
      await s.tokens.revokeToken(s.policy, revoked.digest, s.audit('token'));
      await s.tokens.revokeUserAudience(s.policy, 'grace', 'api', s.audit('user_audience', 'grace'));
      const family = (await raw.hget(k.refreshToken(revoked.digest), 'fam')) ?? '';
      const lost = [k.refreshToken(token.digest), k.familyRevoked(family), k.userAudienceWatermark('grace', 'api')];
      for (const key of lost) expect(await raw.persist(key)).toBe(1);
      // A record whose expiry has passed, one with no readable expiry, and one claiming a
      // lifetime far beyond any the tenant gives.
      const past = k.refreshToken('past-record');
      const unreadable = k.refreshToken('no-exp-record');
      const far = k.refreshToken('far-future-record');
      await raw.hset(past, 'st', 'a', 'exp', String(s.now() - 1_000));
      await raw.hset(unreadable, 'st', 'a');
      await raw.hset(far, 'st', 'a', 'exp', String(s.now() + 365 * DAY));
      // Not ours to expire: a stranger under the prefix, and another tenant's key.
      const stranger = `${k.prefix}hand-written`;
      await raw.set(stranger, 'x');
      const other = new TenantKeys(`${s.policy.tenantId}x`).familyRevoked('f');
      await raw.set(other, '1');

      try {
        const report = await s.maintenance.reconcile(s.policy);
        expect(report).toMatchObject({ fixed: 6, unknown: 1, complete: true });

        const recordTtl = await raw.pttl(k.refreshToken(token.digest));
        expect(recordTtl).toBeGreaterThan(DAY - 60_000);
        expect(recordTtl).toBeLessThanOrEqual(DAY);
        for (const key of [k.familyRevoked(family), k.userAudienceWatermark('grace', 'api'), unreadable, far]) {
          const ttl = await raw.pttl(key);
          expect(ttl, key).toBeGreaterThan(30 * DAY - 60_000);
          expect(ttl, key).toBeLessThanOrEqual(30 * DAY);
        }
        expect(await raw.exists(past)).toBe(0);
        // The per-tenant singletons keep no expiry; strangers and other tenants are left alone.
        for (const key of [k.sequence(), k.audit(), stranger, other]) expect(await raw.pttl(key), key).toBe(-1);
        // The data still answers as before.
        expect(await s.kind(token.digest)).toBe('active');
        expect(await s.kind(revoked.digest)).toBe('revoked');

        expect(await s.maintenance.reconcile(s.policy)).toMatchObject({ fixed: 0, unknown: 1, complete: true });
      } finally {
        await raw.del(stranger);
        await raw.del(other);
      }
    });

  if (backend === 'memory')
    it('memory: sweeps what has expired: tokens, markers, watermarks, idempotency records, leases', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const memory = createMemoryStores(clock);
      const tokens = memory.tokens as MemoryTokenStore;
      const policy = { tenantId: 'sweep', revocationRetentionMs: 60_000 };
      const audit = { callerIdentity: 'c', tokenRef: '', target: '', scope: 'user' as const, occurredAt: clock.now() };
      for (let i = 0; i < 10; i++) {
        const t = mintRefreshToken();
        await tokens.issue(policy, {
          digest: t.digest,
          familyId: newFamilyId(),
          subject: `u${i}`,
          audiences: ['api'],
          claims: {},
          issuedAt: clock.now(),
          expiresAt: clock.now() + 30_000,
        });
      }
      await tokens.revokeUser(policy, 'u1', { ...audit, target: 'u1' });
      await memory.idempotency.claim('record', 'owner', 10_000);
      await memory.locks.acquire('job', 10_000);

      expect(await memory.maintenance.reconcile(policy)).toMatchObject({ examined: 11, fixed: 0, complete: true });
      clock.advance(60_000);
      expect(await memory.maintenance.reconcile(policy)).toEqual({
        examined: 11,
        fixed: 13,
        unknown: 0,
        auditTrimmed: 0,
        complete: true,
      });
      expect(tokens.size()).toBe(0);
      expect((memory.idempotency as MemoryIdempotencyStore).size()).toBe(0);
      expect(await memory.locks.acquire('job', 10_000)).toBeTypeOf('string');
      // The audit trail is bounded on append, not swept.
      expect(await tokens.recentAudit('sweep', 10)).toHaveLength(1);
    });

  if (backend === 'redis') {
    it('Redis: covers a key space larger than one pass allows over several passes, resuming where it stopped', async () => {
      const redis = raw();
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

    describe('tenant key pattern on a real server', () => {
      it('matches every key of the tenant and none of a tenant whose encoded id extends it', async () => {
        const redis = raw();
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
  }

  /** The single-node target's connection (a standalone server: SCAN sees every key). */
  function raw(): Redis {
    const { raw: client } = stores();
    if (!(client instanceof Redis)) throw new Error(`${backend}: a standalone connection is needed`);
    return client;
  }
});

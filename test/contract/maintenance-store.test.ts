import { describe, expect, it } from 'vitest';
import type { MaintenanceStore, NewTokenFamily, RevocationAudit, TenantStorePolicy, TokenStore } from '../../src/store/ports.js';
import type { RedisClient } from '../../src/store/redis/client.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { mintRefreshToken, newFamilyId } from '../../src/tokens/refresh-token.js';

const DAY = 24 * 60 * 60 * 1000;

export interface ContractMaintenance {
  readonly tokens: TokenStore;
  readonly maintenance: MaintenanceStore;
  /** Current time, as the stores' clock sees it. */
  now(): number;
  /** Redis only: a connection to the same server, to write what the service never writes. */
  readonly raw?: RedisClient;
}

/**
 * The reconciler's store behaviour, run against each implementation. The shared part: a
 * reconcile never changes what a token answers. The Redis part: keys that lost their
 * expiry get one back, and nothing else is touched.
 */
export function maintenanceStoreContract(name: string, open: () => ContractMaintenance, uniqueTenant: () => string): void {
  const isRedis = name.startsWith('redis');
  describe(`MaintenanceStore contract: ${name}`, () => {
    const setup = () => {
      const s = open();
      const policy: TenantStorePolicy = { tenantId: uniqueTenant(), revocationRetentionMs: 30 * DAY };
      const issue = async (subject: string, audiences: string[] = ['api']): Promise<NewTokenFamily> => {
        const t = mintRefreshToken();
        const token: NewTokenFamily = {
          digest: t.digest,
          familyId: newFamilyId(),
          subject,
          audiences,
          claims: {},
          issuedAt: s.now(),
          expiresAt: s.now() + DAY,
        };
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

    if (isRedis)
      it('Redis: gives an expiry back to token data that lost it, and touches nothing else', async () => {
        const s = setup();
        const raw = s.raw;
        if (!raw) throw new Error(`${name}: the contract needs a raw connection`);
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
  });
}

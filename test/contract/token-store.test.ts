import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { AUDIT_RECORDS_PER_TENANT } from '../../src/store/audit-limit.js';
import type { RevocationAudit, TenantStorePolicy } from '../../src/store/ports.js';
import { mintRefreshToken } from '../../src/tokens/refresh-token.js';
import { describeStoreTargets, newTokenFamily } from '../support/stores.js';

const DAY = 24 * 60 * 60 * 1000;

// The behaviour every TokenStore must have, on every store target.
describeStoreTargets('TokenStore', (backend, stores) => {
  const setup = () => {
    const { tokens: store, now, tenant } = stores();
    const policy: TenantStorePolicy = { tenantId: tenant(), revocationRetentionMs: 30 * DAY };
    const issue = async (subject: string, audiences: string[] = ['api'], claims: Record<string, string> = {}, p = policy) => {
      const token = newTokenFamily(now(), 30 * DAY, subject, audiences, claims);
      await store.issue(p, token);
      return token;
    };
    const next = (claims: Record<string, string> = {}) => {
      const t = mintRefreshToken();
      return {
        digest: t.digest,
        subject: 'ignored',
        audiences: ['ignored'],
        claims,
        issuedAt: now(),
        expiresAt: now() + 30 * DAY,
      };
    };
    const audit = (scope: RevocationAudit['scope'], target = ''): RevocationAudit => ({
      callerIdentity: 'caller-1',
      tokenRef: scope === 'token' ? '0123456789abcdef' : '',
      target,
      scope,
      occurredAt: now(),
    });
    const kind = async (digest: string, p = policy) => (await store.present(p, digest, now())).kind;
    return { store, now, tenant, policy, issue, next, audit, kind };
  };

  it('presents an issued token with its subject, audiences and claims', async () => {
    const s = setup();
    const t = await s.issue('alice', ['api', 'admin'], { role: 'admin' });
    expect(await s.store.present(s.policy, t.digest, s.now())).toEqual({
      kind: 'active',
      token: { subject: 'alice', audiences: ['api', 'admin'], claims: { role: 'admin' } },
    });
    expect(await s.kind(t.digest)).toBe('active');
  });

  it('answers not_found for an unknown digest and for an expired token', async () => {
    const s = setup();
    expect(await s.kind(mintRefreshToken().digest)).toBe('not_found');
    const t = await s.issue('alice');
    expect((await s.store.present(s.policy, t.digest, t.expiresAt)).kind).toBe('not_found');
  });

  it('rotates: the successor keeps subject and audiences and takes the new claims', async () => {
    const s = setup();
    const t = await s.issue('alice', ['api', 'admin'], { role: 'admin' });
    const n = s.next({ role: 'viewer' });
    expect(await s.store.rotate(s.policy, t.digest, n, s.now())).toEqual({ kind: 'rotated' });
    expect(await s.store.present(s.policy, n.digest, s.now())).toEqual({
      kind: 'active',
      token: { subject: 'alice', audiences: ['api', 'admin'], claims: { role: 'viewer' } },
    });
  });

  it('detects reuse of a rotated token and revokes the whole family', async () => {
    const s = setup();
    const t = await s.issue('alice');
    const n1 = s.next();
    await s.store.rotate(s.policy, t.digest, n1, s.now());
    const n2 = s.next();
    await s.store.rotate(s.policy, n1.digest, n2, s.now());
    expect(await s.kind(t.digest)).toBe('reused');
    expect(await s.kind(n2.digest)).toBe('revoked');
    const other = await s.issue('alice');
    expect(await s.kind(other.digest)).toBe('active');
  });

  it('rotating the same token twice: the second answers reused and writes nothing', async () => {
    const s = setup();
    const t = await s.issue('alice');
    const first = s.next();
    const second = s.next();
    expect((await s.store.rotate(s.policy, t.digest, first, s.now())).kind).toBe('rotated');
    expect((await s.store.rotate(s.policy, t.digest, second, s.now())).kind).toBe('reused');
    expect(await s.kind(second.digest)).toBe('not_found');
  });

  it('of 16 concurrent rotations of one token exactly one succeeds', async () => {
    const s = setup();
    const t = await s.issue('alice');
    const successors = Array.from({ length: 16 }, () => s.next());
    const outcomes = await Promise.all(successors.map((n) => s.store.rotate(s.policy, t.digest, n, s.now())));
    expect(outcomes.filter((o) => o.kind === 'rotated')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'reused')).toHaveLength(15);
  });

  it('a refused rotation leaves nothing half-written', async () => {
    const s = setup();
    const unknown = s.next();
    expect((await s.store.rotate(s.policy, mintRefreshToken().digest, unknown, s.now())).kind).toBe('not_found');
    expect(await s.kind(unknown.digest)).toBe('not_found');
    const t = await s.issue('bob');
    await s.store.revokeUser(s.policy, 'bob', s.audit('user', 'bob'));
    const n = s.next();
    expect((await s.store.rotate(s.policy, t.digest, n, s.now())).kind).toBe('revoked');
    expect(await s.kind(n.digest)).toBe('not_found');
  });

  it('revokeToken revokes the token and its family, and is idempotent for unknown tokens', async () => {
    const s = setup();
    const t = await s.issue('alice');
    const sibling = await s.issue('alice');
    await s.store.revokeToken(s.policy, t.digest, s.audit('token'));
    await s.store.revokeToken(s.policy, t.digest, s.audit('token'));
    await s.store.revokeToken(s.policy, mintRefreshToken().digest, s.audit('token'));
    expect(await s.kind(t.digest)).toBe('revoked');
    expect(await s.kind(sibling.digest)).toBe('active');
  });

  it('revokeToken on an already-rotated token revokes its live successor too', async () => {
    const s = setup();
    const t = await s.issue('alice');
    const n = s.next();
    await s.store.rotate(s.policy, t.digest, n, s.now());
    await s.store.revokeToken(s.policy, t.digest, s.audit('token'));
    expect(await s.kind(n.digest)).toBe('revoked');
  });

  it('revokeUser revokes every token issued before the call and none issued after', async () => {
    const s = setup();
    const a1 = await s.issue('alice', ['api']);
    const a2 = await s.issue('alice', ['web']);
    const rotated = s.next();
    await s.store.rotate(s.policy, a2.digest, rotated, s.now());
    const b = await s.issue('bob');
    await s.store.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
    const after = await s.issue('alice');
    expect(await s.kind(a1.digest)).toBe('revoked');
    expect(await s.kind(rotated.digest)).toBe('revoked');
    expect(await s.kind(b.digest)).toBe('active');
    expect(await s.kind(after.digest)).toBe('active');
  });

  it('revokeAudience revokes multi-audience tokens through any one of their audiences', async () => {
    const s = setup();
    const both = await s.issue('alice', ['api', 'admin']);
    const apiOnly = await s.issue('bob', ['api']);
    const webOnly = await s.issue('carol', ['web']);
    await s.store.revokeAudience(s.policy, 'admin', s.audit('audience', 'admin'));
    const after = await s.issue('dave', ['admin']);
    expect(await s.kind(both.digest)).toBe('revoked');
    expect(await s.kind(apiOnly.digest)).toBe('active');
    expect(await s.kind(webOnly.digest)).toBe('active');
    expect(await s.kind(after.digest)).toBe('active');
  });

  it('revokeUserAudience hits only that pair, and ids with separators never collide', async () => {
    const s = setup();
    const target = await s.issue('a:b', ['c']);
    const lookalike = await s.issue('a', ['b:c']);
    const sameUserOtherAud = await s.issue('a:b', ['d']);
    const otherUserSameAud = await s.issue('x', ['c']);
    await s.store.revokeUserAudience(s.policy, 'a:b', 'c', s.audit('user_audience', 'a:b'));
    expect(await s.kind(target.digest)).toBe('revoked');
    expect(await s.kind(lookalike.digest)).toBe('active');
    expect(await s.kind(sameUserOtherAud.digest)).toBe('active');
    expect(await s.kind(otherUserSameAud.digest)).toBe('active');
    await s.store.revokeUser(s.policy, 'a', s.audit('user', 'a'));
    expect(await s.kind(lookalike.digest)).toBe('revoked');
    expect(await s.kind(sameUserOtherAud.digest)).toBe('active');
  });

  it('keeps tenants apart: tokens and revocations of one tenant never reach another', async () => {
    const s = setup();
    const other: TenantStorePolicy = { tenantId: s.tenant(), revocationRetentionMs: 30 * DAY };
    const mine = await s.issue('alice');
    const theirs = await s.issue('alice', ['api'], {}, other);
    expect(await s.kind(mine.digest, other)).toBe('not_found');
    await s.store.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
    expect(await s.kind(mine.digest)).toBe('revoked');
    expect(await s.kind(theirs.digest, other)).toBe('active');
  });

  it('revocations outlive every token they reach, even after the retention was lowered', async () => {
    const s = setup();
    const { elapse } = stores();
    // Issued under a longer refresh lifetime than the one in force when they are revoked.
    const long = { issuedAt: s.now(), expiresAt: s.now() + 4_000 };
    const byUser = { ...newTokenFamily(s.now(), 0, 'alice', ['api']), ...long };
    const byFamily = { ...newTokenFamily(s.now(), 0, 'bob', ['api']), ...long };
    await s.store.issue(s.policy, byUser);
    await s.store.issue(s.policy, byFamily);
    const lowered: TenantStorePolicy = { ...s.policy, revocationRetentionMs: 300 };
    await s.store.revokeUser(lowered, 'alice', s.audit('user', 'alice'));
    await s.store.revokeToken(lowered, byFamily.digest, s.audit('token'));
    await elapse(800);
    expect(await s.kind(byUser.digest, lowered)).toBe('revoked');
    expect(await s.kind(byFamily.digest, lowered)).toBe('revoked');
    const state = await s.store.revocationState(lowered, { familyId: byFamily.familyId, subject: 'alice', audiences: ['api'] });
    expect(state.familyRevoked).toBe(true);
    expect(state.watermark).toBeGreaterThan(0);
  });

  describe('the per-user cap on live families (maxFamiliesPerUser)', () => {
    const capped = (s: ReturnType<typeof setup>, cap: number): TenantStorePolicy => ({ ...s.policy, maxFamiliesPerUser: cap });
    /** A family of `subject` expiring `offset` ms after the others (distinct expiries order them). */
    const family = (s: ReturnType<typeof setup>, subject: string, offset: number) => ({
      ...newTokenFamily(s.now(), 0, subject, ['api']),
      expiresAt: s.now() + 30 * DAY + offset,
    });

    it('issuing past the cap revokes the family that would expire first; other users keep theirs', async () => {
      const s = setup();
      const p = capped(s, 3);
      const a = family(s, 'alice', 1);
      const b = family(s, 'alice', 2);
      const c = family(s, 'alice', 3);
      const d = family(s, 'alice', 4);
      const bob = family(s, 'bob', 0);
      for (const t of [a, b, c, bob]) await s.store.issue(p, t);
      expect(await s.kind(a.digest, p)).toBe('active');
      await s.store.issue(p, d);
      expect(await s.kind(a.digest, p)).toBe('revoked');
      for (const t of [b, c, d, bob]) expect(await s.kind(t.digest, p)).toBe('active');
      const state = await s.store.revocationState(p, { familyId: a.familyId, subject: 'alice', audiences: ['api'] });
      expect(state.familyRevoked).toBe(true);
    });

    it('a refresh keeps a family young: the least recently refreshed goes first', async () => {
      const s = setup();
      const p = capped(s, 2);
      const a = family(s, 'alice', 1);
      const b = family(s, 'alice', 2);
      await s.store.issue(p, a);
      await s.store.issue(p, b);
      const successor = { ...s.next(), expiresAt: s.now() + 30 * DAY + 10 };
      expect((await s.store.rotate(p, a.digest, successor, s.now())).kind).toBe('rotated');
      await s.store.issue(p, family(s, 'alice', 3));
      expect(await s.kind(b.digest, p)).toBe('revoked');
      expect(await s.kind(successor.digest, p)).toBe('active');
    });

    it('families revoked otherwise free their slot without revoking another', async () => {
      const s = setup();
      const p = capped(s, 2);
      const a = family(s, 'alice', 1);
      const b = family(s, 'alice', 2);
      await s.store.issue(p, a);
      await s.store.issue(p, b);
      await s.store.revokeToken(p, a.digest, s.audit('token'));
      const c = family(s, 'alice', 3);
      await s.store.issue(p, c);
      expect(await s.kind(b.digest, p)).toBe('active');
      expect(await s.kind(c.digest, p)).toBe('active');
    });

    it('holds under concurrent issues: of 20 families at once, exactly the cap stay live', async () => {
      const s = setup();
      const p = capped(s, 5);
      const families = Array.from({ length: 20 }, (_, i) => family(s, 'carol', i));
      await Promise.all(families.map((t) => s.store.issue(p, t)));
      const kinds = await Promise.all(families.map((t) => s.kind(t.digest, p)));
      expect(kinds.filter((k) => k === 'active')).toHaveLength(5);
      expect(kinds.filter((k) => k === 'revoked')).toHaveLength(15);
    });
  });

  it('a revokeToken that changes nothing writes no audit record and answers false', async () => {
    const s = setup();
    const t = await s.issue('alice');
    const sibling = await s.issue('alice');
    expect(await s.store.revokeToken(s.policy, t.digest, s.audit('token'))).toBe(true);
    expect(await s.store.revokeToken(s.policy, t.digest, s.audit('token'))).toBe(false);
    expect(await s.store.revokeToken(s.policy, mintRefreshToken().digest, s.audit('token'))).toBe(false);
    // Rotated, then its consumed predecessor presented: reuse revoked the family already.
    const n = s.next();
    await s.store.rotate(s.policy, sibling.digest, n, s.now());
    expect(await s.kind(sibling.digest)).toBe('reused');
    expect(await s.store.revokeToken(s.policy, n.digest, s.audit('token'))).toBe(false);
    expect(await s.store.recentAudit(s.policy.tenantId, 10)).toHaveLength(1);
  });

  it('presenting does not consume a token', async () => {
    const s = setup();
    const t = await s.issue('alice');
    expect(await s.kind(t.digest)).toBe('active');
    expect(await s.kind(t.digest)).toBe('active');
    expect((await s.store.rotate(s.policy, t.digest, s.next(), s.now())).kind).toBe('rotated');
  });

  it('records one audit entry per revocation, in order, with scope and target', async () => {
    const s = setup();
    const t = await s.issue('alice');
    await s.store.revokeToken(s.policy, t.digest, s.audit('token'));
    await s.store.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
    await s.store.revokeAudience(s.policy, 'api', s.audit('audience', 'api'));
    await s.store.revokeUserAudience(s.policy, 'alice', 'api', s.audit('user_audience', 'alice'));
    const records = await s.store.recentAudit(s.policy.tenantId, 10);
    expect(records.map((r) => [r.scope, r.target, r.tokenRef, r.callerIdentity])).toEqual([
      ['token', '', '0123456789abcdef', 'caller-1'],
      ['user', 'alice', '', 'caller-1'],
      ['audience', 'api', '', 'caller-1'],
      ['user_audience', 'alice', '', 'caller-1'],
    ]);
    expect(Math.abs((records[0]?.occurredAt ?? 0) - s.now())).toBeLessThan(1000);
  });

  if (backend === 'memory')
    it(`keeps the newest ${AUDIT_RECORDS_PER_TENANT} audit records of a tenant`, async () => {
      const s = setup();
      const total = AUDIT_RECORDS_PER_TENANT + 5;
      for (let i = 0; i < total; i += 1) await s.store.revokeUser(s.policy, `user-${i}`, s.audit('user', `user-${i}`));
      const records = await s.store.recentAudit(s.policy.tenantId, total);
      expect(records).toHaveLength(AUDIT_RECORDS_PER_TENANT);
      expect(records[0]?.target).toBe('user-5');
      expect(records.at(-1)?.target).toBe(`user-${total - 1}`);
      expect((await s.store.recentAudit(s.policy.tenantId, 2)).map((r) => r.target)).toEqual([
        `user-${total - 2}`,
        `user-${total - 1}`,
      ]);
    });

  if (backend !== 'memory')
    it('runs its scripts again when the server has forgotten them (SCRIPT FLUSH: EVALSHA falls back to EVAL)', async () => {
      const s = setup();
      const { raw } = stores();
      if (!raw) throw new Error(`${backend}: the suite needs the raw connection`);
      const servers = raw instanceof Cluster ? raw.nodes('master') : [raw];
      const t = await s.issue('alice');
      for (const server of servers) expect(await server.script('FLUSH')).toBe('OK');
      expect(await s.kind(t.digest)).toBe('active');
      const n = s.next();
      expect((await s.store.rotate(s.policy, t.digest, n, s.now())).kind).toBe('rotated');
      for (const server of servers) expect(await server.script('FLUSH')).toBe('OK');
      await s.store.revokeToken(s.policy, n.digest, s.audit('token'));
      expect(await s.kind(n.digest)).toBe('revoked');
    });

  if (backend === 'redis-cluster')
    it('the suite stored token data on every master', async () => {
      for (const node of stores().masters ?? []) {
        const admin = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await admin.connect();
          const [, keys] = await admin.scan('0', 'MATCH', 'te:{*', 'COUNT', 1000);
          expect(keys.length, `keys on ${node.host}:${node.port}`).toBeGreaterThan(0);
        } finally {
          admin.disconnect();
        }
      }
    });
});

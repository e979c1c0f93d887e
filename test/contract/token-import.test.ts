import { expect, it } from 'vitest';
import type { ImportedRefreshToken, RevocationAudit, TenantStorePolicy } from '../../src/store/ports.js';
import { mintRefreshToken } from '../../src/tokens/refresh-token.js';
import { describeStoreTargets, newTokenFamily } from '../support/stores.js';

const DAY = 24 * 60 * 60 * 1000;

// Importing tokens carried over from the Go service (migrate-from-go), on every store target.
describeStoreTargets('TokenStore import', (_backend, stores) => {
  const setup = () => {
    const { tokens: store, now, tenant, elapse } = stores();
    const policy: TenantStorePolicy = { tenantId: tenant(), revocationRetentionMs: 30 * DAY };
    const imported = (
      subject: string,
      audiences: string[] = ['api'],
      options: { claims?: Record<string, string>; revoked?: boolean; lifetimeMs?: number } = {},
    ): ImportedRefreshToken => ({
      ...newTokenFamily(now() - DAY, options.lifetimeMs ?? 30 * DAY, subject, audiences, options.claims ?? {}),
      revoked: options.revoked ?? false,
    });
    const successor = () => ({
      digest: mintRefreshToken().digest,
      subject: 'ignored',
      audiences: ['ignored'],
      claims: {},
      issuedAt: now(),
      expiresAt: now() + 30 * DAY,
    });
    const audit = (scope: RevocationAudit['scope'], target: string): RevocationAudit => ({
      callerIdentity: 'migration-test',
      tokenRef: '',
      target,
      scope,
      occurredAt: now(),
    });
    const kind = async (digest: string) => (await store.present(policy, digest, now())).kind;
    return { store, now, elapse, policy, imported, successor, audit, kind };
  };

  it('stores an imported token usable like an issued one: subject, audiences, claims, one rotation, then reuse', async () => {
    const s = setup();
    const t = s.imported('alice', ['api', 'admin'], { claims: { role: 'admin' } });
    expect(await s.store.importTokens(s.policy, [t])).toEqual(['imported']);
    expect(await s.store.present(s.policy, t.digest, s.now())).toEqual({
      kind: 'active',
      token: { subject: 'alice', audiences: ['api', 'admin'], claims: { role: 'admin' } },
    });
    const next = s.successor();
    expect(await s.store.rotate(s.policy, t.digest, next, s.now())).toEqual({ kind: 'rotated' });
    expect(await s.kind(t.digest)).toBe('reused');
    expect(await s.kind(next.digest)).toBe('revoked');
  });

  it('stores a token revoked at the source as revoked', async () => {
    const s = setup();
    const t = s.imported('dave', ['api'], { revoked: true });
    expect(await s.store.importTokens(s.policy, [t])).toEqual(['imported_revoked']);
    expect(await s.kind(t.digest)).toBe('revoked');
    expect(await s.store.tokenStates(s.policy, [t.digest], s.now())).toEqual(['revoked']);
  });

  it('is idempotent: a digest with a record is left as it is, also after it was rotated', async () => {
    const s = setup();
    const a = s.imported('alice');
    const b = s.imported('bob');
    expect(await s.store.importTokens(s.policy, [a, b])).toEqual(['imported', 'imported']);
    const next = s.successor();
    await s.store.rotate(s.policy, a.digest, next, s.now());
    // A second import of the same digests, with a new family id as a second run would make.
    const again = [
      { ...a, familyId: 'other-family' },
      { ...b, subject: 'mallory', familyId: 'other-family-2' },
    ];
    expect(await s.store.importTokens(s.policy, again)).toEqual(['already', 'already']);
    expect(await s.store.present(s.policy, b.digest, s.now())).toEqual({
      kind: 'active',
      token: { subject: 'bob', audiences: ['api'], claims: {} },
    });
    expect(await s.kind(next.digest)).toBe('active');
    expect(await s.store.tokenStates(s.policy, [a.digest, next.digest], s.now())).toEqual(['consumed', 'active']);
  });

  it('revokes an imported token (and its family) when the source revoked it since; once', async () => {
    const s = setup();
    const a = s.imported('alice');
    const c = s.imported('carol');
    await s.store.importTokens(s.policy, [a, c]);
    const next = s.successor();
    await s.store.rotate(s.policy, c.digest, next, s.now());
    const revokedSince = [
      { ...a, revoked: true },
      { ...c, revoked: true },
    ];
    expect(await s.store.importTokens(s.policy, revokedSince)).toEqual(['revoked', 'revoked']);
    expect(await s.kind(a.digest)).toBe('revoked');
    // The token was rotated here and used at the source as well: its successor goes too.
    expect(await s.kind(next.digest)).toBe('revoked');
    expect(await s.store.importTokens(s.policy, revokedSince)).toEqual(['already', 'already']);
  });

  it('gives imported tokens issue sequence numbers: bulk revocations reach them, and none issued after', async () => {
    const s = setup();
    const forUser = s.imported('bob', ['api']);
    const forAudience = s.imported('carol', ['api', 'shop']);
    const forPair = s.imported('frank', ['shop']);
    const samePairOtherUser = s.imported('gina', ['shop']);
    await s.store.importTokens(s.policy, [forUser, forAudience, forPair, samePairOtherUser]);
    await s.store.revokeUser(s.policy, 'bob', s.audit('user', 'bob'));
    await s.store.revokeAudience(s.policy, 'api', s.audit('audience', 'api'));
    await s.store.revokeUserAudience(s.policy, 'frank', 'shop', s.audit('user_audience', 'frank'));
    expect(await s.kind(forUser.digest)).toBe('revoked');
    expect(await s.kind(forAudience.digest)).toBe('revoked');
    expect(await s.kind(forPair.digest)).toBe('revoked');
    expect(await s.kind(samePairOtherUser.digest)).toBe('active');

    const later = s.imported('bob', ['api']);
    expect(await s.store.importTokens(s.policy, [later])).toEqual(['imported']);
    expect(await s.kind(later.digest)).toBe('active');
  });

  it('keeps an imported token until its own expiry, not a full lifetime', async () => {
    const s = setup();
    const shortLived = s.imported('alice', ['api'], { lifetimeMs: DAY + 400 });
    await s.store.importTokens(s.policy, [shortLived]);
    expect(await s.kind(shortLived.digest)).toBe('active');
    await s.elapse(600);
    expect(await s.kind(shortLived.digest)).toBe('not_found');
    expect(await s.store.tokenStates(s.policy, [shortLived.digest], s.now())).toEqual(['absent']);
  });

  it('reports states without writing: absent, active, consumed, revoked by itself or by its family', async () => {
    const s = setup();
    const active = s.imported('alice');
    const rotated = s.imported('bob');
    const revoked = s.imported('carol');
    const reused = s.imported('dave');
    await s.store.importTokens(s.policy, [active, rotated, revoked, reused]);
    await s.store.rotate(s.policy, rotated.digest, s.successor(), s.now());
    await s.store.revokeToken(s.policy, revoked.digest, s.audit('token', ''));
    const afterReuse = s.successor();
    await s.store.rotate(s.policy, reused.digest, afterReuse, s.now());
    expect(await s.kind(reused.digest)).toBe('reused');
    const unknown = mintRefreshToken().digest;
    const digests = [unknown, active.digest, rotated.digest, revoked.digest, afterReuse.digest];
    expect(await s.store.tokenStates(s.policy, digests, s.now())).toEqual(['absent', 'active', 'consumed', 'revoked', 'revoked']);
    // Reading twice changes nothing.
    expect(await s.store.tokenStates(s.policy, digests, s.now())).toEqual(['absent', 'active', 'consumed', 'revoked', 'revoked']);
    expect(await s.kind(active.digest)).toBe('active');
  });

  it('answers empty lists for empty batches', async () => {
    const s = setup();
    expect(await s.store.importTokens(s.policy, [])).toEqual([]);
    expect(await s.store.tokenStates(s.policy, [], s.now())).toEqual([]);
  });

  it('keeps tenants apart: the same digest imported for two tenants is two records', async () => {
    const s = setup();
    const other: TenantStorePolicy = { tenantId: stores().tenant(), revocationRetentionMs: 30 * DAY };
    const t = s.imported('alice');
    expect(await s.store.importTokens(s.policy, [t])).toEqual(['imported']);
    expect(await s.store.tokenStates(other, [t.digest], s.now())).toEqual(['absent']);
    expect(await s.store.importTokens(other, [{ ...t, revoked: true }])).toEqual(['imported_revoked']);
    expect(await s.kind(t.digest)).toBe('active');
  });
});

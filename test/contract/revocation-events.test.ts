import { expect, it } from 'vitest';
import type { RevocationAudit, RevocationEventRecord, TenantStorePolicy } from '../../src/store/ports.js';
import { mintRefreshToken } from '../../src/tokens/refresh-token.js';
import { describeStoreTargets, newTokenFamily } from '../support/stores.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

/** What an event says, without its cursor and time (those differ per run). */
const content = (e: RevocationEventRecord) => ({
  scope: e.scope,
  userId: e.userId,
  audience: e.audience,
  familyId: e.familyId,
  apiKeyId: e.apiKeyId,
  watermark: e.watermark,
});

// Sequence numbers for access tokens (`rsq`), the revocation state one access token
// reads, and the revocation events every revocation writes: on every store target.
describeStoreTargets('TokenStore sequences, revocation state and RevocationEventLog', (backend, stores) => {
  const setup = (eventRetentionMs = HOUR) => {
    const s = stores();
    const policy: TenantStorePolicy = { tenantId: s.tenant(), revocationRetentionMs: 30 * DAY, eventRetentionMs };
    const issue = async (subject: string, audiences: string[] = ['api']) => {
      const token = newTokenFamily(s.now(), 30 * DAY, subject, audiences);
      const sequence = await s.tokens.issue(policy, token);
      return { ...token, sequence };
    };
    const next = () => {
      const t = mintRefreshToken();
      return { digest: t.digest, subject: 'x', audiences: ['x'], claims: {}, issuedAt: s.now(), expiresAt: s.now() + 30 * DAY };
    };
    const audit = (scope: RevocationAudit['scope'], target = ''): RevocationAudit => ({
      callerIdentity: 'caller-1',
      tokenRef: '',
      target,
      scope,
      occurredAt: s.now(),
    });
    const all = async (): Promise<RevocationEventRecord[]> => {
      const page = await s.events.read(policy, { since: 0 }, 1_000);
      if (page.kind !== 'events') throw new Error('a read from time 0 has no cursor to lose');
      return [...page.events];
    };
    const state = (t: { familyId: string; subject: string; audiences: readonly string[] }) =>
      s.tokens.revocationState(policy, { familyId: t.familyId, subject: t.subject, audiences: t.audiences });
    return { ...s, policy, issue, next, audit, all, state };
  };

  it('issue answers increasing sequence numbers', async () => {
    const s = setup();
    const a = await s.issue('alice');
    const b = await s.issue('bob');
    expect(a.sequence).toBeGreaterThan(0);
    expect(b.sequence).toBe(a.sequence + 1);
  });

  it('presentForRotation reserves the next number with the family; rotate stores the successor under it', async () => {
    const s = setup();
    const t = await s.issue('alice', ['api', 'admin']);
    const presented = await s.tokens.presentForRotation(s.policy, t.digest, s.now());
    expect(presented).toEqual({
      kind: 'active',
      token: { subject: 'alice', audiences: ['api', 'admin'], claims: {} },
      familyId: t.familyId,
      sequence: t.sequence + 1,
    });
    if (presented.kind !== 'active') return;
    const n = s.next();
    expect(await s.tokens.rotate(s.policy, t.digest, n, s.now(), presented.sequence)).toEqual({ kind: 'rotated' });
    // The rotation took no number of its own.
    expect((await s.issue('carol')).sequence).toBe(presented.sequence + 1);
    // A user revocation after the reservation covers the successor.
    await s.tokens.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
    expect((await s.tokens.present(s.policy, n.digest, s.now())).kind).toBe('revoked');
  });

  it('presentForRotation reserves nothing for a token it refuses', async () => {
    const s = setup();
    const before = await s.issue('alice');
    expect(await s.tokens.presentForRotation(s.policy, mintRefreshToken().digest, s.now())).toEqual({ kind: 'not_found' });
    await s.tokens.revokeToken(s.policy, before.digest, s.audit('token'));
    expect((await s.tokens.presentForRotation(s.policy, before.digest, s.now())).kind).toBe('revoked');
    expect((await s.issue('bob')).sequence).toBe(before.sequence + 1);
  });

  it('discard deletes a record; an unknown one is no error', async () => {
    const s = setup();
    const t = await s.issue('alice');
    await s.tokens.discard(s.policy, t.digest);
    await s.tokens.discard(s.policy, t.digest);
    expect((await s.tokens.present(s.policy, t.digest, s.now())).kind).toBe('not_found');
  });

  it('revocationState: the family marker and the highest watermark that applies', async () => {
    const s = setup();
    const t = await s.issue('alice', ['api', 'admin']);
    expect(await s.state(t)).toEqual({ familyRevoked: false, watermark: 0 });

    await s.tokens.revokeUserAudience(s.policy, 'alice', 'admin', s.audit('user_audience', 'alice'));
    const afterPair = await s.state(t);
    expect(afterPair.familyRevoked).toBe(false);
    expect(afterPair.watermark).toBeGreaterThanOrEqual(t.sequence);
    await s.issue('bob');
    await s.tokens.revokeAudience(s.policy, 'api', s.audit('audience', 'api'));
    expect((await s.state(t)).watermark).toBe(afterPair.watermark + 1);

    // Nothing of another user, another audience or another family applies.
    expect(await s.state({ familyId: 'other-family', subject: 'carol', audiences: ['web'] })).toEqual({
      familyRevoked: false,
      watermark: 0,
    });
    await s.tokens.revokeToken(s.policy, t.digest, s.audit('token'));
    expect((await s.state(t)).familyRevoked).toBe(true);
    expect((await s.state({ ...t, familyId: 'other-family' })).familyRevoked).toBe(false);
  });

  it('every revocation writes its event, in order: family, user, audience, user_audience', async () => {
    const s = setup();
    const t = await s.issue('alice');
    await s.tokens.revokeToken(s.policy, t.digest, s.audit('token'));
    // Already revoked, or unknown: no revocation, no event.
    await s.tokens.revokeToken(s.policy, t.digest, s.audit('token'));
    await s.tokens.revokeToken(s.policy, mintRefreshToken().digest, s.audit('token'));
    const u = await s.issue('bob');
    await s.tokens.revokeUser(s.policy, 'bob', s.audit('user', 'bob'));
    await s.tokens.revokeAudience(s.policy, 'shop', s.audit('audience', 'shop'));
    await s.tokens.revokeUserAudience(s.policy, 'a:b', 'c', s.audit('user_audience', 'a:b'));

    const events = await s.all();
    const none = { userId: '', audience: '', familyId: '', apiKeyId: '', watermark: 0 };
    expect(events.map(content)).toEqual([
      { ...none, scope: 'family', familyId: t.familyId },
      { ...none, scope: 'user', userId: 'bob', watermark: u.sequence },
      { ...none, scope: 'audience', audience: 'shop', watermark: u.sequence },
      { ...none, scope: 'user_audience', userId: 'a:b', audience: 'c', watermark: u.sequence },
    ]);
    for (const e of events) expect(Math.abs(e.revokedAtMs - s.now())).toBeLessThan(60_000);
    const cursors = events.map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(4);
    expect(cursors.every((c) => /^\d+-\d+$/.test(c))).toBe(true);
    expect(await s.events.newest(s.policy)).toBe(cursors[3]);
  });

  it('reuse detection writes one family event', async () => {
    const s = setup();
    const t = await s.issue('alice');
    await s.tokens.rotate(s.policy, t.digest, s.next(), s.now());
    expect((await s.tokens.present(s.policy, t.digest, s.now())).kind).toBe('reused');
    expect((await s.tokens.rotate(s.policy, t.digest, s.next(), s.now())).kind).toBe('reused');
    expect((await s.all()).map(content)).toEqual([
      { scope: 'family', familyId: t.familyId, userId: '', audience: '', apiKeyId: '', watermark: 0 },
    ]);
  });

  it('read resumes strictly after a cursor, in pages; an unknown cursor is reported', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await s.tokens.revokeUser(s.policy, `user-${i}`, s.audit('user', `user-${i}`));
    const events = await s.all();
    expect(events.map((e) => e.userId)).toEqual(['user-0', 'user-1', 'user-2', 'user-3', 'user-4']);
    const first = events[0]?.cursor ?? '';
    expect(await s.events.read(s.policy, { after: first }, 2)).toEqual({ kind: 'events', events: events.slice(1, 3) });
    expect(await s.events.read(s.policy, { after: events[4]?.cursor ?? '' }, 10)).toEqual({ kind: 'events', events: [] });
    expect(await s.events.read(s.policy, { after: '1-0' }, 10)).toEqual({ kind: 'cursor_unknown' });
    expect(await s.events.read(s.policy, { after: `${Date.now() + DAY}-0` }, 10)).toEqual({ kind: 'cursor_unknown' });
    // Another tenant's stream knows none of these cursors.
    const other = { ...s.policy, tenantId: s.tenant() };
    expect(await s.events.read(other, { after: first }, 10)).toEqual({ kind: 'cursor_unknown' });
    expect(await s.events.newest(other)).toBe('');
  });

  it('keeps events one event retention: then the cursor is unknown and the log empty', async () => {
    const s = setup(300);
    await s.tokens.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
    const [event] = await s.all();
    if (!event) throw new Error('no event written');
    await s.elapse(600);
    expect(await s.all()).toEqual([]);
    expect(await s.events.read(s.policy, { after: event.cursor }, 10)).toEqual({ kind: 'cursor_unknown' });
    expect(await s.events.newest(s.policy)).toBe('');
  });

  it('a tail answers what is there, waits for what comes, and stops waiting when closed', async () => {
    const s = setup();
    await s.tokens.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
    const tail = s.events.tail(s.policy);
    try {
      const [first] = await tail.next('', 1_000);
      expect(first?.userId).toBe('alice');
      const cursor = first?.cursor ?? '';
      expect(await tail.next(cursor, 50)).toEqual([]);

      const waiting = tail.next(cursor, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await s.tokens.revokeAudience(s.policy, 'shop', s.audit('audience', 'shop'));
      expect((await waiting).map((e) => e.audience)).toEqual(['shop']);

      const [second] = await s.all().then((all) => all.slice(1));
      const pending = tail.next(second?.cursor ?? '', 5_000);
      const started = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
      tail.close();
      expect(await pending).toEqual([]);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      tail.close();
    }
  });

  if (backend !== 'memory')
    it('Redis: the event stream lives under the tenant tag with an expiry of one event retention', async () => {
      const s = setup(HOUR);
      const raw = s.raw;
      if (!raw) throw new Error('a Redis target has a raw connection');
      await s.tokens.revokeUser(s.policy, 'alice', s.audit('user', 'alice'));
      const { TenantKeys } = await import('../../src/store/redis/keys.js');
      const key = new TenantKeys(s.policy.tenantId).events();
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(HOUR - 60_000);
      expect(ttl).toBeLessThanOrEqual(HOUR);
      expect(await raw.xlen(key)).toBe(1);
    });
});

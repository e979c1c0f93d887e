import { expect, it } from 'vitest';
import type { ApiKeyInfo, NewApiKey } from '../../src/apikeys/store.js';
import { newKeyId } from '../../src/apikeys/secret.js';
import type { RevocationAudit, TenantStorePolicy } from '../../src/store/ports.js';
import { describeStoreTargets } from '../support/stores.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

// The API-key store port (src/apikeys/store.ts) on every store target.
describeStoreTargets('ApiKeyStore', (_backend, stores) => {
  const setup = () => {
    const s = stores();
    const policy: TenantStorePolicy = { tenantId: s.tenant(), revocationRetentionMs: 30 * DAY, eventRetentionMs: HOUR };
    const audit = (scope: RevocationAudit['scope'], target: string): RevocationAudit => ({
      callerIdentity: 'caller-1',
      tokenRef: '',
      target,
      scope,
      occurredAt: s.now(),
    });
    const key = (owner: string, over: Partial<NewApiKey> = {}): NewApiKey => ({
      keyId: newKeyId(),
      owner,
      name: 'ci job',
      claims: { tier: 'gold' },
      audiences: ['api'],
      createdAt: s.now(),
      expiresAt: 0,
      digest: `digest-${newKeyId()}`,
      ...over,
    });
    const create = async (k: NewApiKey, limit = 100) => s.apiKeys.create(policy, k, limit, audit('api_key_create', k.keyId));
    const listAll = async (owner: string, pageSize: number): Promise<ApiKeyInfo[]> => {
      const out: ApiKeyInfo[] = [];
      let cursor = '';
      for (let pages = 0; pages < 10_000; pages += 1) {
        const page = await s.apiKeys.list(policy, owner, cursor, pageSize, s.now());
        out.push(...page.keys);
        if (page.next === '') return out;
        cursor = page.next;
      }
      throw new Error('the walk did not end');
    };
    return { ...s, policy, audit, key, create, listAll };
  };

  it('stores a key and finds it by id with its digest and a sequence number', async () => {
    const s = setup();
    const k = s.key('alice');
    expect(await s.create(k)).toBe('created');
    const found = await s.apiKeys.lookup(s.policy, k.keyId, s.now());
    if (found.kind !== 'active') throw new Error(`expected active, got ${found.kind}`);
    expect(found.key).toMatchObject({
      keyId: k.keyId,
      owner: 'alice',
      name: 'ci job',
      claims: { tier: 'gold' },
      audiences: ['api'],
      digest: k.digest,
      expiresAt: 0,
      lastUsedAt: 0,
      revoked: false,
    });
    expect(found.sequence).toBeGreaterThan(0);
    const again = await s.apiKeys.lookup(s.policy, k.keyId, s.now());
    expect(again.kind === 'active' && again.sequence).toBe(found.sequence + 1);
  });

  it('answers unknown for a key of another tenant or never created', async () => {
    const s = setup();
    const k = s.key('alice');
    await s.create(k);
    const other: TenantStorePolicy = { ...s.policy, tenantId: s.tenant() };
    expect((await s.apiKeys.lookup(other, k.keyId, s.now())).kind).toBe('unknown');
    expect((await s.apiKeys.lookup(s.policy, newKeyId(), s.now())).kind).toBe('unknown');
  });

  it('answers expired after the expiry', async () => {
    const s = setup();
    const k = s.key('alice', { expiresAt: s.now() + 60_000 });
    await s.create(k);
    expect((await s.apiKeys.lookup(s.policy, k.keyId, s.now() + 59_000)).kind).toBe('active');
    expect((await s.apiKeys.lookup(s.policy, k.keyId, s.now() + 60_000)).kind).not.toBe('active');
  });

  it('revokes once: the key is refused, its tokens are marked, one api_key event is written', async () => {
    const s = setup();
    const k = s.key('alice');
    await s.create(k);
    expect(await s.apiKeys.revoke(s.policy, k.keyId, s.audit('api_key', k.keyId))).toBe(true);
    expect(await s.apiKeys.revoke(s.policy, k.keyId, s.audit('api_key', k.keyId))).toBe(false);
    expect((await s.apiKeys.lookup(s.policy, k.keyId, s.now())).kind).toBe('revoked');
    const state = await s.tokens.revocationState(s.policy, {
      familyId: 'f',
      subject: 'alice',
      audiences: ['api'],
      apiKeyId: k.keyId,
    });
    expect(state.apiKeyRevoked).toBe(true);
    const other = await s.tokens.revocationState(s.policy, {
      familyId: 'f',
      subject: 'alice',
      audiences: ['api'],
      apiKeyId: newKeyId(),
    });
    expect(other.apiKeyRevoked).toBe(false);
    const page = await s.events.read(s.policy, { since: 0 }, 100);
    if (page.kind !== 'events') throw new Error('no events');
    expect(page.events.filter((e) => e.scope === 'api_key').map((e) => e.apiKeyId)).toEqual([k.keyId]);
    const audits = await s.tokens.recentAudit(s.policy.tenantId, 10);
    expect(audits.map((a) => [a.scope, a.target])).toEqual([
      ['api_key_create', k.keyId],
      ['api_key', k.keyId],
      ['api_key', k.keyId],
    ]);
  });

  it('revoking an unknown key is OK and marks it once', async () => {
    const s = setup();
    const id = newKeyId();
    expect(await s.apiKeys.revoke(s.policy, id, s.audit('api_key', id))).toBe(true);
    expect(await s.apiKeys.revoke(s.policy, id, s.audit('api_key', id))).toBe(false);
  });

  it('lists a revoked key as revoked, metadata only', async () => {
    const s = setup();
    const k = s.key('alice');
    await s.create(k);
    await s.apiKeys.revoke(s.policy, k.keyId, s.audit('api_key', k.keyId));
    const [listed] = await s.listAll('alice', 10);
    expect(listed).toEqual({
      keyId: k.keyId,
      owner: 'alice',
      name: 'ci job',
      claims: { tier: 'gold' },
      audiences: ['api'],
      createdAt: k.createdAt,
      expiresAt: 0,
      lastUsedAt: 0,
      revoked: true,
    });
  });

  it('refuses a key beyond the live limit per owner; revoked keys do not count', async () => {
    const s = setup();
    const first = s.key('alice');
    expect(await s.create(first, 2)).toBe('created');
    expect(await s.create(s.key('alice'), 2)).toBe('created');
    expect(await s.create(s.key('alice'), 2)).toBe('limit');
    expect(await s.create(s.key('bob'), 2)).toBe('created');
    await s.apiKeys.revoke(s.policy, first.keyId, s.audit('api_key', first.keyId));
    expect(await s.create(s.key('alice'), 2)).toBe('created');
    expect((await s.listAll('alice', 10)).length).toBe(3);
  });

  it('touch sets last_used_at at most once per coarse interval', async () => {
    const s = setup();
    const k = s.key('alice');
    await s.create(k);
    const t0 = s.now();
    await s.apiKeys.touch(s.policy, k.keyId, t0, 60_000);
    await s.apiKeys.touch(s.policy, k.keyId, t0 + 30_000, 60_000);
    let [listed] = await s.listAll('alice', 10);
    expect(listed?.lastUsedAt).toBe(t0);
    await s.apiKeys.touch(s.policy, k.keyId, t0 + 60_000, 60_000);
    [listed] = await s.listAll('alice', 10);
    expect(listed?.lastUsedAt).toBe(t0 + 60_000);
  });

  it('pages in creation order with stable cursors while keys are created and revoked', async () => {
    const s = setup();
    const made: string[] = [];
    for (let i = 0; i < 25; i += 1) {
      const k = s.key('carol', { createdAt: s.now() + i });
      await s.create(k);
      made.push(k.keyId);
    }
    const first = await s.apiKeys.list(s.policy, 'carol', '', 10, s.now());
    expect(first.keys.map((k) => k.keyId)).toEqual(made.slice(0, 10));
    // A key created and one revoked between pages move nothing under the cursor.
    await s.apiKeys.revoke(s.policy, made[3] ?? '', s.audit('api_key', made[3] ?? ''));
    const late = s.key('carol', { createdAt: s.now() + 100 });
    await s.create(late);
    const rest: string[] = [];
    let cursor = first.next;
    while (cursor !== '') {
      const page = await s.apiKeys.list(s.policy, 'carol', cursor, 10, s.now());
      rest.push(...page.keys.map((k) => k.keyId));
      cursor = page.next;
    }
    expect(rest).toEqual([...made.slice(10), late.keyId]);
  });

  it('counts live keys of the tenant', async () => {
    const s = setup();
    const a = s.key('alice');
    await s.create(a);
    await s.create(s.key('bob'));
    await s.create(s.key('bob', { expiresAt: s.now() + 1_000 }));
    expect(await s.apiKeys.liveCount(s.policy, s.now())).toBe(3);
    await s.apiKeys.revoke(s.policy, a.keyId, s.audit('api_key', a.keyId));
    expect(await s.apiKeys.liveCount(s.policy, s.now())).toBe(2);
    expect(await s.apiKeys.liveCount(s.policy, s.now() + 1_000)).toBe(1);
  });

  it('the reconciler leaves keys that never expire, and their indexes, alone', async () => {
    const s = setup();
    const k = s.key('dana');
    await s.create(k);
    const report = await s.maintenance.reconcile(s.policy);
    expect(report.unknown).toBe(0);
    expect((await s.apiKeys.lookup(s.policy, k.keyId, s.now())).kind).toBe('active');
    expect((await s.listAll('dana', 10)).map((i) => i.keyId)).toEqual([k.keyId]);
  });
});

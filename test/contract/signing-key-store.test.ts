import { expect, it } from 'vitest';
import type { StoredSigningKey } from '../../src/store/ports.js';
import { describeStoreTargets } from '../support/stores.js';

const kids = (keys: readonly { kid: string }[]): string[] => keys.map((k) => k.kid).sort();

// The behaviour every SigningKeyStore must have, on every store target.
describeStoreTargets('SigningKeyStore', (_backend, stores) => {
  const key = (kid: string, fields: Partial<StoredSigningKey> = {}): StoredSigningKey => {
    const now = Date.now();
    return { kid, alg: 'ES256', createdAt: now, activatesAt: now, sealedPrivateKey: `sealed-${kid}`, ...fields };
  };

  it('loadOrCreate stores the candidate only when the tenant has no key', async () => {
    const s = stores();
    const t = s.tenant();
    const candidate = key('kid-1');
    expect(kids(await s.signingKeys.loadOrCreate(t, candidate))).toEqual(['kid-1']);
    expect(kids(await s.signingKeys.loadOrCreate(t, { ...candidate, kid: 'kid-2' }))).toEqual(['kid-1']);
    expect(kids(await s.signingKeys.list(t))).toEqual(['kid-1']);
  });

  it('of concurrent loadOrCreate calls for a new tenant, every caller gets the same single key', async () => {
    const s = stores();
    const t = s.tenant();
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((kid) => s.signingKeys.loadOrCreate(t, key(kid))));
    const first = kids(answers[0] ?? []);
    expect(first).toHaveLength(1);
    for (const answer of answers) expect(kids(answer)).toEqual(first);
    expect(kids(await s.signingKeys.list(t))).toEqual(first);
  });

  it('keeps every field of a key, the optional expiry included', async () => {
    const s = stores();
    const t = s.tenant();
    const scheduled = key('scheduled', { createdAt: 1_000, activatesAt: 5_000, expiresAt: 9_000, alg: 'RS256' });
    const plain = key('plain', { createdAt: 2_000, activatesAt: 2_000 });
    await s.signingKeys.put(t, [scheduled, plain]);
    const byKid = new Map((await s.signingKeys.list(t)).map((k) => [k.kid, k]));
    expect(byKid.get('scheduled')).toEqual(scheduled);
    expect(byKid.get('plain')).toMatchObject(plain);
    expect(byKid.get('plain')?.expiresAt).toBeUndefined();
  });

  it('put adds keys and replaces a key of the same kid; remove deletes by kid', async () => {
    const s = stores();
    const t = s.tenant();
    await s.signingKeys.put(t, [key('k1'), key('k2')]);
    await s.signingKeys.put(t, [key('k2', { sealedPrivateKey: 'rotated' }), key('k3')]);
    const listed = await s.signingKeys.list(t);
    expect(kids(listed)).toEqual(['k1', 'k2', 'k3']);
    expect(listed.find((k) => k.kid === 'k2')?.sealedPrivateKey).toBe('rotated');
    await s.signingKeys.remove(t, ['k1', 'k3', 'never-stored']);
    expect(kids(await s.signingKeys.list(t))).toEqual(['k2']);
    await s.signingKeys.put(t, []);
    await s.signingKeys.remove(t, []);
    expect(kids(await s.signingKeys.list(t))).toEqual(['k2']);
  });

  it('keeps tenants apart, and a tenant with no keys lists none', async () => {
    const s = stores();
    const [mine, theirs] = [s.tenant(), s.tenant()];
    expect(await s.signingKeys.list(mine)).toEqual([]);
    await s.signingKeys.put(mine, [key('only-mine')]);
    expect(await s.signingKeys.list(theirs)).toEqual([]);
    expect(kids(await s.signingKeys.loadOrCreate(theirs, key('theirs')))).toEqual(['theirs']);
    expect(kids(await s.signingKeys.list(mine))).toEqual(['only-mine']);
  });
});

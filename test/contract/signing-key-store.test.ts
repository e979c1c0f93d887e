import { expect, it } from 'vitest';
import type { Stores, StoredSigningKey } from '../../src/store/ports.js';

/**
 * Signing keys, locks and the health ping on one Redis topology, through the product's own
 * `createRedisStores`: every script beyond the token and idempotency suites runs once.
 */
export function redisStoresContract(topology: string, stores: () => Stores, tenant: () => string): void {
  it(`signing keys, locks and the health ping work on ${topology}`, async () => {
    const s = stores();
    const t = tenant();
    const now = Date.now();
    const candidate: StoredSigningKey = {
      kid: 'kid-1',
      alg: 'ES256',
      createdAt: now,
      activatesAt: now,
      sealedPrivateKey: 'sealed',
    };
    const kids = (keys: readonly { kid: string }[]): string[] => keys.map((k) => k.kid);
    expect(kids(await s.signingKeys.loadOrCreate(t, candidate))).toEqual(['kid-1']);
    expect(kids(await s.signingKeys.loadOrCreate(t, { ...candidate, kid: 'kid-2' }))).toEqual(['kid-1']);
    expect(kids(await s.signingKeys.list(t))).toEqual(['kid-1']);
    const owner = await s.locks.acquire(`${t}-job`, 30_000);
    expect(owner).toBeTypeOf('string');
    expect(await s.locks.acquire(`${t}-job`, 30_000)).toBeUndefined();
    await s.locks.release(`${t}-job`, 'not-the-owner');
    expect(await s.locks.acquire(`${t}-job`, 30_000)).toBeUndefined();
    await s.locks.release(`${t}-job`, owner ?? '');
    expect(await s.locks.acquire(`${t}-job`, 30_000)).toBeTypeOf('string');
    await expect(s.health.ping()).resolves.toBeUndefined();
  });
}

import { expect, it } from 'vitest';
import { describeStoreTargets } from '../support/stores.js';

// The behaviour every LockStore must have, on every store target.
describeStoreTargets('LockStore', (_backend, stores) => {
  it('one holder at a time; only the owner releases', async () => {
    const s = stores();
    const t = s.tenant();
    const owner = await s.locks.acquire(`${t}-job`, 30_000);
    expect(owner).toBeTypeOf('string');
    expect(await s.locks.acquire(`${t}-job`, 30_000)).toBeUndefined();
    await s.locks.release(`${t}-job`, 'not-the-owner');
    expect(await s.locks.acquire(`${t}-job`, 30_000)).toBeUndefined();
    await s.locks.release(`${t}-job`, owner ?? '');
    expect(await s.locks.acquire(`${t}-job`, 30_000)).toBeTypeOf('string');
  });

  it('locks of different names are independent, and every lease has its own owner token', async () => {
    const s = stores();
    const t = s.tenant();
    const a = await s.locks.acquire(`${t}-a`, 30_000);
    const b = await s.locks.acquire(`${t}-b`, 30_000);
    expect(a).toBeTypeOf('string');
    expect(b).toBeTypeOf('string');
    expect(a).not.toBe(b);
    await s.locks.release(`${t}-a`, b ?? '');
    expect(await s.locks.acquire(`${t}-a`, 30_000)).toBeUndefined();
  });

  it('a lease lapses after its TTL; the old owner can then release nothing', async () => {
    const s = stores();
    const t = s.tenant();
    const first = await s.locks.acquire(`${t}-lease`, 50);
    expect(first).toBeTypeOf('string');
    await s.elapse(60);
    const second = await s.locks.acquire(`${t}-lease`, 30_000);
    expect(second).toBeTypeOf('string');
    await s.locks.release(`${t}-lease`, first ?? '');
    expect(await s.locks.acquire(`${t}-lease`, 30_000)).toBeUndefined();
  });

  it('of 8 concurrent acquires exactly one wins', async () => {
    const s = stores();
    const t = s.tenant();
    const owners = await Promise.all(Array.from({ length: 8 }, () => s.locks.acquire(`${t}-race`, 30_000)));
    expect(owners.filter((o) => o !== undefined)).toHaveLength(1);
  });
});

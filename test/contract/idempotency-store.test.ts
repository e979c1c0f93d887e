import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeStoreTargets } from '../support/stores.js';

// The behaviour every IdempotencyStore must have, on every store target.
describeStoreTargets('IdempotencyStore', (_target, stores) => {
  const id = () => randomUUID().replaceAll('-', '');
  const open = () => {
    const { idempotency: store, elapse: expire } = stores();
    return { store, expire };
  };

  it('the first claim wins; later claims see pending', async () => {
    const { store } = open();
    const key = id();
    expect(await store.claim(key, 'a', 30_000)).toEqual({ kind: 'claimed' });
    expect(await store.claim(key, 'b', 30_000)).toEqual({ kind: 'pending' });
  });

  it('a completed record is returned to later claims', async () => {
    const { store } = open();
    const key = id();
    await store.claim(key, 'a', 30_000);
    expect(await store.complete(key, 'a', 'c1:record', 60_000)).toBe(true);
    expect(await store.claim(key, 'b', 30_000)).toEqual({ kind: 'completed', record: 'c1:record' });
  });

  it('only the owner can complete or release a claim', async () => {
    const { store } = open();
    const key = id();
    await store.claim(key, 'a', 30_000);
    expect(await store.complete(key, 'b', 'c1:forged', 60_000)).toBe(false);
    await store.release(key, 'b');
    expect(await store.claim(key, 'c', 30_000)).toEqual({ kind: 'pending' });
    await store.release(key, 'a');
    expect(await store.claim(key, 'c', 30_000)).toEqual({ kind: 'claimed' });
  });

  it('release does not delete a completed record', async () => {
    const { store } = open();
    const key = id();
    await store.claim(key, 'a', 30_000);
    await store.complete(key, 'a', 'c1:done', 60_000);
    await store.release(key, 'a');
    expect(await store.claim(key, 'b', 30_000)).toEqual({ kind: 'completed', record: 'c1:done' });
  });

  it('a pending claim lapses after its TTL', async () => {
    const { store, expire } = open();
    const key = id();
    await store.claim(key, 'a', 50);
    await expire(60);
    expect(await store.claim(key, 'b', 30_000)).toEqual({ kind: 'claimed' });
    expect(await store.complete(key, 'a', 'c1:late', 60_000)).toBe(false);
  });

  it('of 8 concurrent claims exactly one wins', async () => {
    const { store } = open();
    const key = id();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claim(key, `o${i}`, 30_000)));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
  });
});

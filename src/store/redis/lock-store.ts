import { randomUUID } from 'node:crypto';
import type { LockStore } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { lockKey } from './keys.js';
import { LOCK_RELEASE } from './scripts.js';

/** `SET NX PX` leases with compare-and-delete release. */
export class RedisLockStore implements LockStore {
  constructor(private readonly redis: RedisClient) {
    if (!('teLockRelease' in redis)) redis.defineCommand('teLockRelease', { numberOfKeys: 1, lua: LOCK_RELEASE });
  }

  async acquire(name: string, ttlMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    const ok = await guarded(() => this.redis.set(lockKey(name), owner, 'PX', ttlMs, 'NX'));
    return ok === 'OK' ? owner : undefined;
  }

  async release(name: string, owner: string): Promise<void> {
    const run = (this.redis as unknown as { teLockRelease: (k: string, o: string) => Promise<number> }).teLockRelease;
    await guarded(() => run.call(this.redis, lockKey(name), owner));
  }
}

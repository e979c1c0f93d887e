import { randomUUID } from 'node:crypto';
import type { LockStore } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { defineScript, integerReply } from './define-script.js';
import { lockKey } from './keys.js';
import { LOCK_RELEASE } from './scripts.js';

const releaseScript = defineScript({ name: 'lock_release', keys: 1, lua: LOCK_RELEASE, reply: integerReply('lock_release') });

/** `SET NX PX` leases with compare-and-delete release. */
export class RedisLockStore implements LockStore {
  constructor(private readonly redis: RedisClient) {}

  async acquire(name: string, ttlMs: number): Promise<string | undefined> {
    const owner = randomUUID();
    const ok = await guarded(() => this.redis.set(lockKey(name), owner, 'PX', ttlMs, 'NX'));
    return ok === 'OK' ? owner : undefined;
  }

  async release(name: string, owner: string): Promise<void> {
    await releaseScript(this.redis, [lockKey(name)], [owner]);
  }
}

import type { DpopReplayStore } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { tenantKeys } from './keys.js';

/**
 * Seen DPoP proof ids in Redis, shared by every replica: one `SET NX PX` per proof, so of
 * concurrent claims of one id (on any replica) exactly one writes the key. The key carries
 * the tenant hash tag and lapses with the acceptance window.
 */
export class RedisDpopReplayStore implements DpopReplayStore {
  constructor(private readonly redis: RedisClient) {}

  async claim(tenantId: string, jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = tenantKeys(tenantId).dpopJti(jkt, jti);
    const reply = await guarded(() => this.redis.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    return reply === 'OK';
  }
}

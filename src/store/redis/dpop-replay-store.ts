import type { DpopReplayStore } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { TenantKeys } from './keys.js';

/**
 * Seen DPoP proof ids in Redis, shared by every replica: one `SET NX PX` per proof, so of
 * concurrent claims of one id (on any replica) exactly one writes the key. The key carries
 * the tenant hash tag and lapses with the acceptance window.
 */
export class RedisDpopReplayStore implements DpopReplayStore {
  private readonly keysByTenant = new Map<string, TenantKeys>();

  constructor(private readonly redis: RedisClient) {}

  async claim(tenantId: string, jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = this.keys(tenantId).dpopJti(jkt, jti);
    const reply = await guarded(() => this.redis.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    return reply === 'OK';
  }

  private keys(tenantId: string): TenantKeys {
    let k = this.keysByTenant.get(tenantId);
    if (!k) {
      k = new TenantKeys(tenantId);
      this.keysByTenant.set(tenantId, k);
    }
    return k;
  }
}

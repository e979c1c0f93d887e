import type { Clock } from '../../clock.js';
import type { DpopReplayStore } from '../ports.js';
import { ExpiringMap } from './expiring-map.js';

/**
 * Seen DPoP proof ids of the embedded store. A check and its write run in one synchronous
 * step, so concurrent claims of one id see each other; lapsed ids are pruned by the map.
 */
export class MemoryDpopReplayStore implements DpopReplayStore {
  /** JSON of [tenant, thumbprint, jti]: collision-free whatever the ids contain. */
  private readonly seen: ExpiringMap<string, true>;

  constructor(clock: Clock) {
    this.seen = new ExpiringMap(clock);
  }

  async claim(tenantId: string, jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = JSON.stringify([tenantId, jkt, jti]);
    if (this.seen.get(key) !== undefined) return false;
    this.seen.set(key, true, ttlMs);
    return true;
  }
}

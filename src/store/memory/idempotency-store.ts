import type { Clock } from '../../clock.js';
import type { IdempotencyClaim, IdempotencyStore } from '../ports.js';
import { ExpiringMap } from './expiring-map.js';

/** Idempotency records of the embedded store: `p:<owner>` while pending, else the record. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records: ExpiringMap<string, string>;

  constructor(clock: Clock) {
    this.records = new ExpiringMap(clock);
  }

  async claim(id: string, owner: string, ttlMs: number): Promise<IdempotencyClaim> {
    const existing = this.records.get(id);
    if (existing === undefined) {
      this.records.set(id, `p:${owner}`, ttlMs);
      return { kind: 'claimed' };
    }
    return existing.startsWith('p:') ? { kind: 'pending' } : { kind: 'completed', record: existing };
  }

  async complete(id: string, owner: string, record: string, ttlMs: number): Promise<boolean> {
    if (this.records.get(id) !== `p:${owner}`) return false;
    this.records.set(id, record, ttlMs);
    return true;
  }

  async release(id: string, owner: string): Promise<void> {
    if (this.records.get(id) === `p:${owner}`) this.records.delete(id);
  }

  /** Live records, for tests of bounded memory. */
  size(): number {
    this.records.prune();
    return this.records.size();
  }

  /** Drops expired records; returns how many. */
  sweep(): number {
    return this.records.prune();
  }
}

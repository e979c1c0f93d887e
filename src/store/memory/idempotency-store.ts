import type { Clock } from '../../clock.js';
import type { IdempotencyClaim, IdempotencyStore } from '../ports.js';

const SWEEP_EVERY_WRITES = 1_024;

/** Idempotency records of the embedded store. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, { value: string; expiresAt: number }>();
  private writes = 0;

  constructor(private readonly clock: Clock) {}

  async claim(id: string, owner: string, ttlMs: number): Promise<IdempotencyClaim> {
    const existing = this.live(id);
    if (existing === undefined) {
      this.set(id, `p:${owner}`, ttlMs);
      return { kind: 'claimed' };
    }
    return existing.startsWith('p:') ? { kind: 'pending' } : { kind: 'completed', record: existing };
  }

  async complete(id: string, owner: string, record: string, ttlMs: number): Promise<boolean> {
    if (this.live(id) !== `p:${owner}`) return false;
    this.set(id, record, ttlMs);
    return true;
  }

  async release(id: string, owner: string): Promise<void> {
    if (this.live(id) === `p:${owner}`) this.records.delete(id);
  }

  /** Live records, for tests of bounded memory. */
  size(): number {
    this.sweep();
    return this.records.size;
  }

  /** Drops expired records; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [id, r] of this.records) {
      if (r.expiresAt > now) continue;
      this.records.delete(id);
      removed += 1;
    }
    return removed;
  }

  private live(id: string): string | undefined {
    const r = this.records.get(id);
    if (!r) return undefined;
    if (r.expiresAt <= this.clock.now()) {
      this.records.delete(id);
      return undefined;
    }
    return r.value;
  }

  private set(id: string, value: string, ttlMs: number): void {
    this.records.set(id, { value, expiresAt: this.clock.now() + ttlMs });
    if (++this.writes % SWEEP_EVERY_WRITES === 0) this.sweep();
  }
}

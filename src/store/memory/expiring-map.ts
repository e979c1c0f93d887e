import type { Clock } from '../../clock.js';

/**
 * Lapsed entries are pruned after this many writes to one map, so a map holds its live
 * entries and at most this many lapsed ones, whatever the reads do.
 */
export const PRUNE_EVERY_WRITES = 1_024;

/**
 * A map whose entries lapse at a set time: the one place the memory stores keep expiry.
 * An entry at or past its expiry reads as absent (and is dropped when read), the way a
 * Redis key is gone once its PEXPIREAT time is reached. Time comes from the injected
 * clock; reads that are asked about a given moment (a token presented "now") take it.
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private writes = 0;

  constructor(private readonly clock: Clock) {}

  /** Stores `value` until `ttlMs` from now. */
  set(key: K, value: V, ttlMs: number): void {
    this.setUntil(key, value, this.clock.now() + ttlMs);
  }

  /** Stores `value` until `expiresAt` (milliseconds since the epoch). */
  setUntil(key: K, value: V, expiresAt: number): void {
    this.entries.set(key, { value, expiresAt });
    this.writes += 1;
    if (this.writes % PRUNE_EVERY_WRITES === 0) this.prune();
  }

  /** The live value, or undefined when there is none or it has lapsed by `now`. */
  get(key: K, now = this.clock.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Deletes the entry, live or lapsed. */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Drops every entry lapsed by `now`; returns how many. */
  prune(now = this.clock.now()): number {
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) continue;
      this.entries.delete(key);
      removed += 1;
    }
    return removed;
  }

  /** Entries held, lapsed ones not yet pruned included (what a reconciler pass examines). */
  size(): number {
    return this.entries.size;
  }
}

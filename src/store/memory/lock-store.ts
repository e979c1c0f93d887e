import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { LockStore } from '../ports.js';

/** Leases within one process. */
export class MemoryLockStore implements LockStore {
  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  async acquire(name: string, ttlMs: number): Promise<string | undefined> {
    const now = this.clock.now();
    const held = this.locks.get(name);
    if (held && held.expiresAt > now) return undefined;
    const owner = randomUUID();
    this.locks.set(name, { owner, expiresAt: now + ttlMs });
    return owner;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  /** Drops lapsed leases; returns how many. */
  sweep(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const [name, lease] of this.locks) {
      if (lease.expiresAt > now) continue;
      this.locks.delete(name);
      removed += 1;
    }
    return removed;
  }
}

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { LockStore } from '../ports.js';
import { ExpiringMap } from './expiring-map.js';

/** Leases within one process: lock name → owner token, until the lease lapses. */
export class MemoryLockStore implements LockStore {
  private readonly leases: ExpiringMap<string, string>;

  constructor(clock: Clock) {
    this.leases = new ExpiringMap(clock);
  }

  async acquire(name: string, ttlMs: number): Promise<string | undefined> {
    if (this.leases.get(name) !== undefined) return undefined;
    const owner = randomUUID();
    this.leases.set(name, owner, ttlMs);
    return owner;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.leases.get(name) === owner) this.leases.delete(name);
  }

  /** Drops lapsed leases; returns how many. */
  sweep(): number {
    return this.leases.prune();
  }
}

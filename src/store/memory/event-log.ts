import type { Clock } from '../../clock.js';
import {
  eventRetentionOf,
  type EventPage,
  type EventPosition,
  type EventTail,
  type RevocationEventLog,
  type RevocationEventRecord,
  type TenantStorePolicy,
} from '../ports.js';

/** An event as the token store hands it over: everything but the cursor. */
export type NewRevocationEvent = Omit<RevocationEventRecord, 'cursor'>;

/** `<ms>-<n>` as two numbers, for ordering (the Redis stream id format). */
function parseCursor(cursor: string): [number, number] {
  const dash = cursor.indexOf('-');
  return [Number(cursor.slice(0, dash)), Number(cursor.slice(dash + 1))];
}

/** True when cursor `a` comes after cursor `b`; `''` comes before every cursor. */
function isAfter(a: string, b: string): boolean {
  if (b === '') return true;
  const [am, an] = parseCursor(a);
  const [bm, bn] = parseCursor(b);
  return am > bm || (am === bm && an > bn);
}

class TenantEvents {
  readonly records: RevocationEventRecord[] = [];
  /** Resolved by the next append: what waiting tails sleep on. */
  readonly waiters = new Set<() => void>();
  lastAppendAt = 0;
  private lastMs = 0;
  private lastN = 0;

  /** The next cursor: the clock's millisecond, with a counter within one millisecond (as XADD `*`). */
  nextCursor(now: number): string {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastN = 0;
    } else {
      this.lastN += 1;
    }
    return `${this.lastMs}-${this.lastN}`;
  }
}

/**
 * Revocation events of the embedded store, with the Redis stream's retention rules:
 * trimmed on every append to the last event retention, and gone altogether one
 * retention after the newest append. Time for cursors and retention is the injected
 * clock; a tail waits in real time.
 */
export class MemoryRevocationEventLog implements RevocationEventLog {
  private readonly tenants = new Map<string, TenantEvents>();

  constructor(private readonly clock: Clock) {}

  /** Records an event (the memory token store calls this inside the revocation). */
  append(policy: TenantStorePolicy, event: NewRevocationEvent): void {
    const t = this.live(policy);
    const now = this.clock.now();
    this.trim(t, now - eventRetentionOf(policy));
    t.records.push({ ...event, cursor: t.nextCursor(now) });
    t.lastAppendAt = now;
    for (const wake of [...t.waiters]) wake();
  }

  /** Drops the tenant's events older than one retention (the reconciler, for a tenant nobody revokes in). */
  prune(policy: TenantStorePolicy): void {
    this.trim(this.live(policy), this.clock.now() - eventRetentionOf(policy));
  }

  async read(policy: TenantStorePolicy, from: EventPosition, limit: number): Promise<EventPage> {
    const records = this.live(policy).records;
    if ('since' in from) {
      return { kind: 'events', events: records.filter((r) => parseCursor(r.cursor)[0] >= from.since).slice(0, limit) };
    }
    const at = records.findIndex((r) => r.cursor === from.after);
    if (at < 0) return { kind: 'cursor_unknown' };
    return { kind: 'events', events: records.slice(at + 1, at + 1 + limit) };
  }

  async newest(policy: TenantStorePolicy): Promise<string> {
    return this.live(policy).records.at(-1)?.cursor ?? '';
  }

  tail(policy: TenantStorePolicy): EventTail {
    let closed = false;
    let wakeOnClose: (() => void) | undefined;
    return {
      next: async (after, blockMs) => {
        if (closed) throw new Error('event tail closed');
        const pending = (): RevocationEventRecord[] => this.live(policy).records.filter((r) => isAfter(r.cursor, after));
        const ready = pending();
        if (ready.length > 0) return ready;
        const t = this.live(policy);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.max(1, blockMs));
          function done(): void {
            clearTimeout(timer);
            t.waiters.delete(done);
            wakeOnClose = undefined;
            resolve();
          }
          t.waiters.add(done);
          wakeOnClose = done;
        });
        return closed ? [] : pending();
      },
      close: () => {
        closed = true;
        wakeOnClose?.();
      },
    };
  }

  private trim(t: TenantEvents, before: number): void {
    let drop = 0;
    while (drop < t.records.length && parseCursor(t.records[drop]?.cursor ?? '')[0] < before) drop += 1;
    if (drop > 0) t.records.splice(0, drop);
  }

  /** The tenant's events, emptied when the newest is older than one retention (the Redis key would have expired). */
  private live(policy: TenantStorePolicy): TenantEvents {
    let t = this.tenants.get(policy.tenantId);
    if (!t) {
      t = new TenantEvents();
      this.tenants.set(policy.tenantId, t);
    } else if (t.records.length > 0 && this.clock.now() - t.lastAppendAt >= eventRetentionOf(policy)) {
      t.records.length = 0;
    }
    return t;
  }
}

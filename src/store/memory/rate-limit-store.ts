import type { Clock } from '../../clock.js';
import type { RateDecision, RateLimit, RateLimitStore } from '../ports.js';
import { ExpiringMap } from './expiring-map.js';

/**
 * Rate-limit budgets of the embedded store: the same GCRA as the Redis script
 * (scripts.ts, RATE_LIMIT), on the injected clock. Each budget lapses once it is full again.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  /** Key → theoretical arrival time (ms). */
  private readonly arrivals: ExpiringMap<string, number>;

  constructor(private readonly clock: Clock) {
    this.arrivals = new ExpiringMap(clock);
  }

  async take(key: string, limit: RateLimit): Promise<RateDecision> {
    const now = this.clock.now();
    const interval = 1000 / limit.perSecond;
    const nextArrival = Math.max(this.arrivals.get(key, now) ?? now, now) + interval;
    const allowedAt = nextArrival - limit.burst * interval;
    if (now < allowedAt) return { allowed: false, retryAfterMs: Math.ceil(allowedAt - now) };
    this.arrivals.setUntil(key, nextArrival, Math.ceil(nextArrival));
    return { allowed: true };
  }

  /** Drops budgets that are full again; returns how many. */
  sweep(): number {
    return this.arrivals.prune();
  }
}

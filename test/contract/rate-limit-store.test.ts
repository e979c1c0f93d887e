import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { RateLimit } from '../../src/store/ports.js';
import { rateLimitKey } from '../../src/store/redis/keys.js';
import { describeStoreTargets } from '../support/stores.js';

/** One call per 10 s: no call of a test refills the budget (the Redis targets run in real time). */
const SLOW: RateLimit = { perSecond: 0.1, burst: 3 };

// The behaviour every RateLimitStore must have, on every store target.
describeStoreTargets('RateLimitStore', (backend, stores) => {
  const caller = () => `caller-${randomUUID()}`;

  it('lets a burst pass, then refuses with the time until the next call would pass', async () => {
    const { rateLimits } = stores();
    const key = caller();
    for (let i = 0; i < SLOW.burst; i += 1) expect(await rateLimits.take(key, SLOW)).toEqual({ allowed: true });
    const refused = await rateLimits.take(key, SLOW);
    expect(refused.allowed).toBe(false);
    if (refused.allowed) return;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    // A refusal takes nothing: the hint does not grow with refused calls.
    const again = await rateLimits.take(key, SLOW);
    expect(again.allowed).toBe(false);
    if (!again.allowed) expect(again.retryAfterMs).toBeLessThanOrEqual(refused.retryAfterMs);
  });

  // Calls sent together reach the store together (one pipeline), so no time passes
  // between them whatever the load: the budget cannot refill in between.
  it('lets the next call pass once the hinted time has passed', async () => {
    const s = stores();
    const key = caller();
    const limit: RateLimit = { perSecond: 20, burst: 1 };
    const decisions = await Promise.all([s.rateLimits.take(key, limit), s.rateLimits.take(key, limit)]);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(1);
    const refused = decisions.find((d) => !d.allowed);
    if (refused === undefined || refused.allowed) throw new Error('two calls at once passed a burst of 1');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(50);
    await s.elapse(refused.retryAfterMs);
    expect(await s.rateLimits.take(key, limit)).toEqual({ allowed: true });
  });

  it('keeps one budget per key', async () => {
    const { rateLimits } = stores();
    const [a, b] = [caller(), caller()];
    const one: RateLimit = { perSecond: 0.1, burst: 1 };
    expect(await rateLimits.take(a, one)).toEqual({ allowed: true });
    expect((await rateLimits.take(a, one)).allowed).toBe(false);
    expect(await rateLimits.take(b, one)).toEqual({ allowed: true });
  });

  it('of 12 concurrent calls exactly the burst passes', async () => {
    const { rateLimits } = stores();
    const key = caller();
    const limit: RateLimit = { perSecond: 0.1, burst: 4 };
    const decisions = await Promise.all(Array.from({ length: 12 }, () => rateLimits.take(key, limit)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(4);
  });

  it('refills at the rate: after one interval one more call passes', async () => {
    const s = stores();
    const key = caller();
    const limit: RateLimit = { perSecond: 10, burst: 2 };
    const decisions = await Promise.all([1, 2, 3].map(() => s.rateLimits.take(key, limit)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(2);
    await s.elapse(100);
    expect(await s.rateLimits.take(key, limit)).toEqual({ allowed: true });
  });

  if (backend !== 'memory') {
    it('keeps a budget only until it is full again (a TTL on its key)', async () => {
      const s = stores();
      const raw = s.raw;
      if (!raw) throw new Error(`${backend}: the contract needs a raw connection`);
      const key = caller();
      await s.rateLimits.take(key, SLOW);
      await s.rateLimits.take(key, SLOW);
      const ttl = await raw.pttl(rateLimitKey(key));
      // Two calls of a 10 s interval: the budget is full again within 20 s.
      expect(ttl).toBeGreaterThan(10_000);
      expect(ttl).toBeLessThanOrEqual(20_000);
    });
  }
});

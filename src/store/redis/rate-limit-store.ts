import type { RateDecision, RateLimit, RateLimitStore } from '../ports.js';
import type { RedisClient } from './client.js';
import { defineScript, unexpectedReply } from './define-script.js';
import { rateLimitKey } from './keys.js';
import { RATE_LIMIT } from './scripts.js';

const takeScript = defineScript({
  name: 'rate_limit',
  keys: 1,
  lua: RATE_LIMIT,
  reply: (raw): RateDecision => {
    if (!Array.isArray(raw) || raw.length !== 2) throw unexpectedReply('rate_limit', raw);
    const [allowed, retryAfterMs] = raw as unknown[];
    if (allowed === 1) return { allowed: true };
    if (allowed === 0 && typeof retryAfterMs === 'number' && retryAfterMs > 0) return { allowed: false, retryAfterMs };
    throw unexpectedReply('rate_limit', raw);
  },
});

/** Rate-limit budgets in Redis, shared by every replica: one script call (one round trip) per decision. */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly redis: RedisClient) {}

  take(key: string, limit: RateLimit): Promise<RateDecision> {
    return takeScript(this.redis, [rateLimitKey(key)], [1000 / limit.perSecond, limit.burst]);
  }
}

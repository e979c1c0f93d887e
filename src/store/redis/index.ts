import { RedisApiKeyStore } from '../../apikeys/redis-store.js';
import type { Stores } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { RedisDpopReplayStore } from './dpop-replay-store.js';
import { RedisRevocationEventLog } from './event-log.js';
import { RedisIdempotencyStore } from './idempotency-store.js';
import { RedisLockStore } from './lock-store.js';
import { RedisMaintenanceStore } from './maintenance-store.js';
import { RedisRateLimitStore } from './rate-limit-store.js';
import { RedisSigningKeyStore } from './signing-key-store.js';
import { RedisTokenStore } from './token-store.js';

/** The production stores over one Redis connection. */
export function createRedisStores(redis: RedisClient, now: () => number = Date.now): Stores {
  return {
    tokens: new RedisTokenStore(redis),
    apiKeys: new RedisApiKeyStore(redis),
    events: new RedisRevocationEventLog(redis),
    signingKeys: new RedisSigningKeyStore(redis),
    idempotency: new RedisIdempotencyStore(redis),
    locks: new RedisLockStore(redis),
    rateLimits: new RedisRateLimitStore(redis),
    dpopReplay: new RedisDpopReplayStore(redis),
    maintenance: new RedisMaintenanceStore(redis, now),
    health: { ping: async () => void (await guarded(() => redis.ping())) },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

import { afterAll } from 'vitest';
import { RedisIdempotencyStore } from '../../src/store/redis/idempotency-store.js';
import { testRedis } from '../support/stores.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';

const redis = testRedis();
afterAll(async () => {
  await redis.quit();
});

// Redis expires keys by its own clock, so lapsing a claim takes real (short) time here.
idempotencyStoreContract('redis', () => ({
  store: new RedisIdempotencyStore(redis),
  expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

import { afterAll } from 'vitest';
import { RedisTokenStore } from '../../src/store/redis/token-store.js';
import { uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';
import { tokenStoreContract } from './token-store.contract.js';

const redis = testRedis();
afterAll(async () => {
  await redis.quit();
});

tokenStoreContract(
  'redis',
  () => ({ store: new RedisTokenStore(redis), now: () => Date.now() }),
  () => uniquePrefix('contract'),
);

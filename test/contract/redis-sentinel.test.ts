import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectWithRetry, createRedisClient, type RedisClient } from '../../src/store/redis/client.js';
import { RedisIdempotencyStore } from '../../src/store/redis/idempotency-store.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { RedisTokenStore } from '../../src/store/redis/token-store.js';
import { uniquePrefix } from '../support/redis.js';
import { startRedisSentinel, type RedisSentinelTopology } from '../support/redis-topologies.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';
import { tokenStoreContract } from './token-store.contract.js';
import { redisStoresContract } from './redis-stores.contract.js';

// The contract suites against a Sentinel-managed master/replica, through the product's own
// client factory (the client asks the sentinels where the master is).

let topology: RedisSentinelTopology | undefined;
let redis: RedisClient | undefined;

beforeAll(async () => {
  topology = await startRedisSentinel();
  redis = createRedisClient({
    host: '127.0.0.1',
    port: 6379,
    db: 0,
    tls: false,
    sentinels: topology.sentinels,
    sentinelMaster: topology.masterName,
  });
  redis.on('error', () => {});
  await connectWithRetry(redis, 10_000);
}, 60_000);

afterAll(async () => {
  await redis?.quit().catch(() => redis?.disconnect());
  await topology?.stop();
});

function client(): RedisClient {
  if (!redis) throw new Error('the sentinel client is not connected (beforeAll failed)');
  return redis;
}

it('the client writes to the master the sentinels name', async () => {
  const master = await topology?.currentMaster();
  const info = String(await client().info('server'));
  expect(info).toContain(`tcp_port:${master?.port}`);
  expect(((await client().call('ROLE')) as string[])[0]).toBe('master');
});

tokenStoreContract(
  'redis-sentinel',
  () => ({ store: new RedisTokenStore(client()), now: () => Date.now() }),
  () => uniquePrefix('sentinel-contract'),
);

// Redis expires keys by its own clock, so lapsing a claim takes real (short) time here.
idempotencyStoreContract('redis-sentinel', () => ({
  store: new RedisIdempotencyStore(client()),
  expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

redisStoresContract(
  'Sentinel',
  () => createRedisStores(client()),
  () => uniquePrefix('sentinel-contract'),
);

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectWithRetry, createRedisClient, type RedisClient } from '../../src/store/redis/client.js';
import { RedisIdempotencyStore } from '../../src/store/redis/idempotency-store.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { RedisMaintenanceStore } from '../../src/store/redis/maintenance-store.js';
import { RedisTokenStore } from '../../src/store/redis/token-store.js';
import { uniquePrefix } from '../support/redis.js';
import { startRedisCluster, type HostPort, type RedisClusterTopology } from '../support/redis-topologies.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';
import { maintenanceStoreContract } from './maintenance-store.contract.js';
import { tokenStoreContract } from './token-store.contract.js';
import { redisStoresContract } from './redis-stores.contract.js';

// The contract suites against a real 3-master Redis Cluster, through the product's own
// client factory: every script must keep to one slot (one hash tag per tenant, ADR 0001).

const TENANTS_PER_SHARD = 16;

let topology: RedisClusterTopology | undefined;
let redis: RedisClient | undefined;
/** Tenant ids whose slots are spread round-robin over the masters, so every shard is exercised. */
const tenants: string[] = [];
let tenantsUsed = 0;

beforeAll(async () => {
  topology = await startRedisCluster();
  redis = createRedisClient({ host: '127.0.0.1', port: 6379, db: 0, tls: false, clusterNodes: topology.nodes });
  redis.on('error', () => {});
  await connectWithRetry(redis, 10_000);
  tenants.push(...(await tenantsOnEveryShard(topology.nodes, TENANTS_PER_SHARD)));
}, 60_000);

afterAll(async () => {
  await redis?.quit().catch(() => redis?.disconnect());
  await topology?.stop();
});

function client(): RedisClient {
  if (!redis) throw new Error('the cluster client is not connected (beforeAll failed)');
  return redis;
}

function nextTenant(): string {
  const tenant = tenants[tenantsUsed];
  if (tenant === undefined) throw new Error(`the pool of ${tenants.length} cluster tenants is used up: raise TENANTS_PER_SHARD`);
  tenantsUsed += 1;
  return tenant;
}

tokenStoreContract('redis-cluster', () => ({ store: new RedisTokenStore(client()), now: () => Date.now() }), nextTenant);

// The reconciler scans every master; only the one serving the tenant's slot has its keys.
maintenanceStoreContract(
  'redis-cluster',
  () => ({
    tokens: new RedisTokenStore(client()),
    maintenance: new RedisMaintenanceStore(client()),
    now: () => Date.now(),
    raw: client(),
  }),
  nextTenant,
);

// Redis expires keys by its own clock, so lapsing a claim takes real (short) time here.
idempotencyStoreContract('redis-cluster', () => ({
  store: new RedisIdempotencyStore(client()),
  expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

redisStoresContract('the cluster', () => createRedisStores(client()), nextTenant);

it('the suites above stored token data on every master', async () => {
  for (const node of topology?.nodes ?? []) {
    const admin = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await admin.connect();
      const [, keys] = await admin.scan('0', 'MATCH', 'te:{*', 'COUNT', 1000);
      expect(keys.length, `keys on ${node.host}:${node.port}`).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  }
});

/** Fresh tenant ids, `perShard` for each master, ordered round-robin over the masters. */
async function tenantsOnEveryShard(nodes: readonly HostPort[], perShard: number): Promise<string[]> {
  const first = nodes[0];
  if (!first) throw new Error('a cluster without nodes');
  const admin = new Redis({ host: first.host, port: first.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
    const owner = (slot: number): number => {
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`slot ${slot} is not served`);
      return range[2][1];
    };
    const byNode = new Map<number, string[]>(nodes.map((n) => [n.port, []]));
    for (let tries = 0; [...byNode.values()].some((list) => list.length < perShard); tries += 1) {
      if (tries > perShard * nodes.length * 50) throw new Error('could not spread tenants over every master');
      const tenant = uniquePrefix('cluster-contract');
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', new TenantKeys(tenant).sequence()));
      const list = byNode.get(owner(slot));
      if (list && list.length < perShard) list.push(tenant);
    }
    const lists = [...byNode.values()];
    return Array.from(
      { length: perShard * lists.length },
      (_, i) => lists[i % lists.length]?.[Math.floor(i / lists.length)] ?? '',
    );
  } finally {
    admin.disconnect();
  }
}

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createMemoryStores } from '../../src/store/memory/index.js';
import type { NewTokenFamily, Stores } from '../../src/store/ports.js';
import {
  connectWithRetry,
  createRedisClient,
  type RedisClient,
  type RedisConnectionSettings,
} from '../../src/store/redis/client.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { mintRefreshToken, newFamilyId } from '../../src/tokens/refresh-token.js';
import { redisUrlForTests, uniquePrefix } from './redis.js';
import type { HostPort } from './redis-server.js';

/** A Redis connection to the test server, with the service's own fail-fast settings off. */
export function testRedis(): Redis {
  return new Redis(redisUrlForTests(), { maxRetriesPerRequest: 2, lazyConnect: false });
}

/** A new token family (a fresh digest and family id) issued at `now`, living `lifetimeMs`. */
export function newTokenFamily(
  now: number,
  lifetimeMs: number,
  subject: string,
  audiences: string[],
  claims: Record<string, string> = {},
): NewTokenFamily {
  return {
    digest: mintRefreshToken().digest,
    familyId: newFamilyId(),
    subject,
    audiences,
    claims,
    issuedAt: now,
    expiresAt: now + lifetimeMs,
  };
}

/** Which backend and topology a contract target is. */
export type StoreTargetName = 'memory' | 'redis' | 'redis-cluster' | 'redis-sentinel';

/** One set of stores under contract, opened for one suite. */
export interface OpenStores extends Stores {
  /** Current time, as the stores' clock sees it. */
  now(): number;
  /**
   * Lets `ms` pass for the stores: the memory stores' clock is moved; Redis expires keys
   * by its own clock, so real (short) time passes.
   */
  elapse(ms: number): Promise<void>;
  /** A tenant id no other test uses; on the Cluster, successive ids take the masters in turn. */
  tenant(): string;
  /** Redis only: the stores' own connection, to write what the service never writes. */
  readonly raw?: RedisClient;
  /** Cluster only: the masters. */
  readonly masters?: readonly HostPort[];
  /** Sentinel only: where the sentinels are and the master group they watch. */
  readonly sentinel?: { readonly masterName: string; readonly sentinels: readonly HostPort[] };
}

/** A backend the contract suites run against. */
export interface StoreTarget {
  readonly name: StoreTargetName;
  open(): Promise<OpenStores>;
}

/** Tenants made per master for a Cluster suite: more than any one suite uses. */
const CLUSTER_TENANTS_PER_MASTER = 16;

const realTime = {
  now: (): number => Date.now(),
  elapse: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Every store implementation and topology: memory, single-node Redis (the run's test
 * server), a 3-master Cluster and a Sentinel master/replica (started once per run by
 * redis-topologies-setup.ts). Redis targets go through the product's own client factory
 * and `createRedisStores`.
 */
export const STORE_TARGETS: readonly StoreTarget[] = [
  {
    name: 'memory',
    open: async () => {
      const clock = new ManualClock(Date.now());
      return {
        ...createMemoryStores(clock),
        now: () => clock.now(),
        elapse: async (ms) => clock.advance(ms),
        tenant: () => `tenant-${randomUUID()}`,
      };
    },
  },
  {
    name: 'redis',
    open: async () => {
      const url = new URL(redisUrlForTests());
      const raw = await connect({
        host: url.hostname,
        port: Number(url.port || 6379),
        username: decodeURIComponent(url.username) || undefined,
        password: decodeURIComponent(url.password) || undefined,
        db: Number(url.pathname.slice(1) || 0),
        tls: url.protocol === 'rediss:',
      });
      return { ...createRedisStores(raw), ...realTime, tenant: () => uniquePrefix('contract'), raw };
    },
  },
  {
    name: 'redis-cluster',
    open: async () => {
      const masters = inject('redisClusterNodes');
      const raw = await connect({ ...ANY_HOST, clusterNodes: masters });
      const tenants = await tenantsOnEveryMaster(masters, CLUSTER_TENANTS_PER_MASTER);
      let used = 0;
      const tenant = (): string => {
        const next = tenants[used];
        if (next === undefined) {
          throw new Error(`the pool of ${tenants.length} cluster tenants is used up: raise CLUSTER_TENANTS_PER_MASTER`);
        }
        used += 1;
        return next;
      };
      return { ...createRedisStores(raw), ...realTime, tenant, raw, masters };
    },
  },
  {
    name: 'redis-sentinel',
    open: async () => {
      const sentinel = inject('redisSentinel');
      const raw = await connect({ ...ANY_HOST, sentinels: sentinel.sentinels, sentinelMaster: sentinel.masterName });
      return { ...createRedisStores(raw), ...realTime, tenant: () => uniquePrefix('sentinel-contract'), raw, sentinel };
    },
  },
];

/** Host and port are not read when the client is given cluster nodes or sentinels. */
const ANY_HOST = { host: '127.0.0.1', port: 6379, db: 0, tls: false } as const;

async function connect(settings: RedisConnectionSettings): Promise<RedisClient> {
  const client = createRedisClient(settings);
  // The client reconnects by itself; a test that needs it sees its command fail.
  client.on('error', () => {});
  await connectWithRetry(client, 10_000);
  return client;
}

/**
 * Runs `suite` once per store target, each in its own `describe` ("<port> contract:
 * <target>") with the target's stores opened before its tests and closed after them.
 * `stores()` gives the open stores inside a test.
 */
export function describeStoreTargets(
  port: string,
  suite: (target: StoreTargetName, stores: () => OpenStores) => void,
  targets: readonly StoreTarget[] = STORE_TARGETS,
): void {
  for (const target of targets) {
    describe(`${port} contract: ${target.name}`, () => {
      let opened: OpenStores | undefined;
      beforeAll(async () => {
        opened = await target.open();
      }, 60_000);
      afterAll(async () => {
        await opened?.close();
      });
      suite(target.name, () => {
        if (!opened) throw new Error(`the ${target.name} stores are not open (beforeAll failed)`);
        return opened;
      });
    });
  }
}

/** Fresh tenant ids, `perMaster` for each master, ordered round-robin over the masters. */
async function tenantsOnEveryMaster(nodes: readonly HostPort[], perMaster: number): Promise<string[]> {
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
    for (let tries = 0; [...byNode.values()].some((list) => list.length < perMaster); tries += 1) {
      if (tries > perMaster * nodes.length * 50) throw new Error('could not spread tenants over every master');
      const tenant = uniquePrefix('cluster-contract');
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', new TenantKeys(tenant).sequence()));
      const list = byNode.get(owner(slot));
      if (list && list.length < perMaster) list.push(tenant);
    }
    const lists = [...byNode.values()];
    return Array.from(
      { length: perMaster * lists.length },
      (_, i) => lists[i % lists.length]?.[Math.floor(i / lists.length)] ?? '',
    );
  } finally {
    admin.disconnect();
  }
}

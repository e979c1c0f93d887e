import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevocationAudit, Stores, TenantStorePolicy } from '../../src/store/ports.js';
import { connectWithRetry, createRedisClient } from '../../src/store/redis/client.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { newTokenFamily } from '../support/stores.js';
import { type RedisClusterTopology, startRedisCluster } from '../support/redis-topologies.js';

// How a 3-master Cluster shares the token work (doc/CAPACITY.md, doc/adr/0008-hot-tenant.md):
// every key of a tenant carries the tenant's hash tag, so many tenants spread over the
// masters and one tenant's keys and scripts all land on one master. Both are asserted and
// the spread is printed. Tenant ids are fixed, so the slots, and the spread, are the same
// on every run.

const TENANTS = 60;
const TOKENS_PER_TENANT = 6;
const LIFETIME_MS = 60_000;
/** Each master's share of the tenants' keys and scripts must lie in this range (an even spread is 33 %). */
const SHARE_MIN = 0.15;
const SHARE_MAX = 0.55;

let cluster: RedisClusterTopology | undefined;
let stores: Stores | undefined;
let masters: { readonly port: number; readonly redis: Redis }[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
  const client = createRedisClient({ host: '127.0.0.1', port: 6379, db: 0, tls: false, clusterNodes: cluster.nodes });
  client.on('error', () => {});
  await connectWithRetry(client, 10_000);
  stores = createRedisStores(client);
  masters = cluster.nodes.map((n) => ({
    port: n.port,
    redis: new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 2 }),
  }));
}, 45_000);

afterAll(async () => {
  await stores?.close();
  for (const m of masters) m.redis.disconnect();
  await cluster?.stop();
});

const audit = (target: string): RevocationAudit => ({
  callerIdentity: 'distribution-test',
  tokenRef: '0123456789abcdef',
  target,
  scope: 'user',
  occurredAt: Date.now(),
});

/** What one tenant does: issue, refresh (present + rotate), revoke one token, revoke one user, validate. */
async function workload(tenantId: string, tokens: number): Promise<void> {
  const s = stores;
  if (!s) throw new Error('the Cluster stores are not open');
  const policy: TenantStorePolicy = { tenantId, revocationRetentionMs: LIFETIME_MS };
  const now = Date.now();
  const issued = Array.from({ length: tokens }, (_, i) => newTokenFamily(now, LIFETIME_MS, `user-${i}`, ['api'], { role: 'r' }));
  await Promise.all(issued.map((t) => s.tokens.issue(policy, t)));
  for (const t of issued.slice(0, Math.ceil(tokens / 2))) {
    const presented = await s.tokens.presentForRotation(policy, t.digest, Date.now());
    expect(presented.kind).toBe('active');
    const next = newTokenFamily(Date.now(), LIFETIME_MS, t.subject, [...t.audiences]);
    const sequence = presented.kind === 'active' ? presented.sequence : undefined;
    expect((await s.tokens.rotate(policy, t.digest, next, Date.now(), sequence)).kind).toBe('rotated');
  }
  const last = issued.at(-1);
  if (last) await s.tokens.revokeToken(policy, last.digest, { ...audit(last.subject), scope: 'token' });
  await s.tokens.revokeUser(policy, 'user-0', audit('user-0'));
  const first = issued[0];
  if (first)
    await s.tokens.revocationState(policy, { familyId: first.familyId, subject: first.subject, audiences: first.audiences });
}

/** Keys of one tenant on each master, by SCAN with the tenant's own pattern. */
async function tenantKeysPerMaster(tenantId: string): Promise<number[]> {
  const pattern = new TenantKeys(tenantId).pattern();
  return Promise.all(
    masters.map(async ({ redis }) => {
      let count = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
      return count;
    }),
  );
}

/** EVALSHA + EVAL + MGET calls each master has served so far (the store's scripts and its one read). */
async function storeCommandsPerMaster(): Promise<number[]> {
  return Promise.all(
    masters.map(async ({ redis }) => {
      const stats = await redis.info('commandstats');
      let calls = 0;
      for (const name of ['evalsha', 'eval', 'mget'])
        calls += Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
      return calls;
    }),
  );
}

const shares = (counts: readonly number[]): number[] => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
};
const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

describe('Redis Cluster distribution (3 masters)', () => {
  it(`spreads ${TENANTS} tenants' keys and commands over every master`, async () => {
    const tenants = Array.from({ length: TENANTS }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
    const commands0 = await storeCommandsPerMaster();
    for (let i = 0; i < tenants.length; i += 10) {
      await Promise.all(tenants.slice(i, i + 10).map((t) => workload(t, TOKENS_PER_TENANT)));
    }
    const commands1 = await storeCommandsPerMaster();
    const commands = commands1.map((c, i) => c - (commands0[i] ?? 0));

    const keys = [0, 0, 0];
    const tenantsOn = [0, 0, 0];
    for (const t of tenants) {
      const perMaster = await tenantKeysPerMaster(t);
      // Each tenant on exactly one master: the hash tag keeps its keys together.
      expect(perMaster.filter((n) => n > 0)).toHaveLength(1);
      perMaster.forEach((n, i) => {
        keys[i] = (keys[i] ?? 0) + n;
        if (n > 0) tenantsOn[i] = (tenantsOn[i] ?? 0) + 1;
      });
    }
    console.log(
      `[cluster-distribution] ${TENANTS} tenants over 3 masters:\n${masters
        .map(
          (m, i) =>
            `  master :${m.port}  tenants ${tenantsOn[i]}  keys ${keys[i]} (${percent(shares(keys)[i] ?? 0)})  ` +
            `scripts+MGET ${commands[i]} (${percent(shares(commands)[i] ?? 0)})`,
        )
        .join('\n')}`,
    );
    for (const share of [...shares(keys), ...shares(commands)]) {
      expect(share).toBeGreaterThanOrEqual(SHARE_MIN);
      expect(share).toBeLessThanOrEqual(SHARE_MAX);
    }
  }, 30_000);

  it('keeps every key and command of one tenant on one master, however many users it has', async () => {
    const tenant = 'one-hot-tenant';
    const commands0 = await storeCommandsPerMaster();
    await workload(tenant, 200);
    const commands1 = await storeCommandsPerMaster();
    const commands = commands1.map((c, i) => c - (commands0[i] ?? 0));
    const keys = await tenantKeysPerMaster(tenant);
    const home = keys.findIndex((n) => n > 0);
    console.log(
      `[cluster-distribution] one tenant, 200 users:\n${masters
        .map((m, i) => `  master :${m.port}  keys ${keys[i]}  scripts+MGET ${commands[i]}`)
        .join('\n')}`,
    );
    expect(home).toBeGreaterThanOrEqual(0);
    // 200 records, 100 successors, a family marker, a watermark, the sequence, events and audit streams.
    expect(keys[home]).toBeGreaterThanOrEqual(300);
    expect(keys.filter((n) => n > 0)).toEqual([keys[home]]);
    expect(commands.filter((n) => n > 0)).toEqual([commands[home]]);
  }, 30_000);
});

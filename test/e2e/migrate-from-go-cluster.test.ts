import { status } from '@grpc/grpc-js';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createLocalJWKSet, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dumpAll,
  everythingStored,
  GO_ZERO_TIME,
  goRefreshToken,
  goSigningKey,
  goTime,
  runMigrateFromGo,
  writeGoKey,
  writeGoTokens,
  type GoTokenSpec,
} from '../support/go-layout.js';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';
import { startRedisServer, type HostPort, type RedisServer } from '../support/redis-server.js';
import { startRedisCluster, type RedisClusterTopology } from '../support/redis-topologies.js';
import { startService } from '../support/service-process.js';

const DAY = 24 * 60 * 60 * 1000;
const API_KEY = 'migrate-cluster-key';
const KEK = randomBytes(32).toString('base64');

// A Cluster and a single Redis of this file's own: every master is read in full.
let cluster: RedisClusterTopology;
let clusterClient: Cluster;
let single: RedisServer;
let singleClient: Redis;
let masters: Redis[];

beforeAll(async () => {
  [cluster, single] = await Promise.all([startRedisCluster(), startRedisServer()]);
  clusterClient = new Cluster(
    cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
    { redisOptions: { maxRetriesPerRequest: 2 } },
  );
  singleClient = new Redis(single.url, { maxRetriesPerRequest: 2 });
  masters = cluster.nodes.map((n: HostPort) => new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 2 }));
}, 60_000);

afterAll(async () => {
  clusterClient?.disconnect();
  singleClient?.disconnect();
  for (const m of masters ?? []) m.disconnect();
  await Promise.all([cluster?.stop(), single?.stop()]);
});

const clusterNodes = (): string => cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');

function env(tenantId: string, target: 'single' | 'cluster'): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'go-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=migrate-cluster`,
    TOKEN_ENGINE_KEY_ENCRYPTION_KEY: KEK,
    ...(target === 'single' ? { TOKEN_ENGINE_REDIS_URL: single.url } : { TOKEN_ENGINE_REDIS_CLUSTER_NODES: clusterNodes() }),
  };
}

/** A Go tenant written to the Cluster: its keys land on every master (no hash tags). */
async function goTenantOnCluster(tenantId: string) {
  const now = Date.now();
  const spec = (userId: string, extra: Partial<GoTokenSpec> = {}): GoTokenSpec => ({
    userId,
    audiences: ['api'],
    claims: { plan: 'pro' },
    createdAt: now - DAY,
    expiresAt: now + 20 * DAY,
    ...extra,
  });
  const live = Array.from({ length: 12 }, (_, i) => ({ raw: goRefreshToken(), spec: spec(`user-${i}`) }));
  const revoked = { raw: goRefreshToken(), spec: spec('revoked-user', { revoked: true }) };
  const expired = { raw: goRefreshToken(), spec: spec('gone-user', { expiresAt: now - 1_000, ttl: false }) };
  await writeGoTokens(clusterClient, tenantId, [...live, revoked, expired]);
  const key = goSigningKey();
  await writeGoKey(clusterClient, tenantId, key, { createdAt: goTime(now - 60_000), expiresAt: GO_ZERO_TIME });
  const holding = await Promise.all(masters.map(async (m) => (await m.keys(`${tenantId}*`)).length));
  const secrets = [
    ...[...live, revoked, expired].map((t) => t.raw),
    key.pem.split('\n')[1] ?? '',
    createPrivateKey(key.pem).export({ format: 'jwk' }).d ?? '',
  ];
  return { live, revoked, expired, key, holding, secrets };
}

async function storedOnEveryMaster(): Promise<string[]> {
  return (await Promise.all(masters.map((m) => everythingStored(m)))).flat();
}

async function jwks(httpBase: string): Promise<JSONWebKeySet> {
  return (await (await fetch(`${httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
}

describe('migrate-from-go with a Redis Cluster', () => {
  it('reads a Cluster source named by --source-redis-url (every master) into a single-node target', async () => {
    const tenantId = uniquePrefix('go-cluster-src');
    const go = await goTenantOnCluster(tenantId);
    expect(go.holding.filter((n) => n > 0).length).toBeGreaterThan(1);
    const first = cluster.nodes[0] as HostPort;

    const run = await runMigrateFromGo(env(tenantId, 'single'), [
      '--tenant',
      tenantId,
      '--source-redis-url',
      `redis://${first.host}:${first.port}`,
      '--remove-source',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.counts).toMatchObject({
      tokens_seen: 14,
      tokens_migrated: 12,
      tokens_revoked: 1,
      tokens_expired: 1,
      keys_imported: 1,
      // 14 token hashes, ks:pem and ks:meta.
      source_keys_removed: 16,
    });
    for (const m of masters) expect(await m.keys(`${tenantId}*`)).toEqual([]);
    const stored = await storedOnEveryMaster();
    for (const secret of go.secrets) expect(stored.filter((text) => text.includes(secret))).toEqual([]);

    const service = await startService(env(tenantId, 'single'));
    const client = new TestClient(service.grpcAddress, API_KEY);
    const tenant = { tenant_id: tenantId };
    try {
      const token = go.live[0]?.raw ?? '';
      const pair = await client.ok<WireTokenPair>('RefreshToken', { ...tenant, refresh_token: token });
      const published = await jwks(service.httpBase);
      expect((await jwtVerify(pair.access_token, createLocalJWKSet(published))).payload).toMatchObject({
        sub: 'user-0',
        plan: 'pro',
      });
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: token })).error?.code).toBe(status.PERMISSION_DENIED);
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: go.revoked.raw })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: go.expired.raw })).error?.code).toBe(
        status.NOT_FOUND,
      );
      expect(published.keys.map((k) => k.kid)).toContain(go.key.kid);
    } finally {
      client.close();
      await service.stop();
    }
  }, 90_000);

  it('migrates within one Cluster (source and target the configured Cluster): dry run, run, second run, service, removal', async () => {
    const tenantId = uniquePrefix('go-cluster');
    const go = await goTenantOnCluster(tenantId);

    const before = await Promise.all(masters.map((m) => dumpAll(m)));
    const dry = await runMigrateFromGo(env(tenantId, 'cluster'), ['--tenant', tenantId, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.counts).toMatchObject({ tokens_migrated: 12, tokens_revoked: 1, keys_imported: 1 });
    expect(await Promise.all(masters.map((m) => dumpAll(m)))).toEqual(before);

    const first = await runMigrateFromGo(env(tenantId, 'cluster'), ['--tenant', tenantId]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.counts).toMatchObject({ tokens_migrated: 12, tokens_revoked: 1, tokens_expired: 1, keys_imported: 1 });
    const second = await runMigrateFromGo(env(tenantId, 'cluster'), ['--tenant', tenantId]);
    expect(second.counts).toMatchObject({ tokens_migrated: 0, tokens_revoked: 0, tokens_already: 13, keys_imported: 0 });

    const service = await startService(env(tenantId, 'cluster'));
    const client = new TestClient(service.grpcAddress, API_KEY);
    const tenant = { tenant_id: tenantId };
    try {
      const [a, b, c] = go.live.map((t) => t.raw);
      await client.ok('RefreshToken', { ...tenant, refresh_token: a });
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: a })).error?.code).toBe(status.PERMISSION_DENIED);
      await client.ok('RevokeAllUserTokens', { ...tenant, user_id: 'user-1' });
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: b })).error?.code).toBe(status.PERMISSION_DENIED);

      const goJwt = await new SignJWT({ sub: 'user-2', aud: ['api'] })
        .setProtectedHeader({ alg: 'RS256', kid: go.key.kid, typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(go.key.privateKey);
      expect((await jwtVerify(goJwt, createLocalJWKSet(await jwks(service.httpBase)))).protectedHeader.kid).toBe(go.key.kid);

      const removal = await runMigrateFromGo(env(tenantId, 'cluster'), ['--tenant', tenantId, '--remove-source']);
      expect(removal.code, removal.stderr).toBe(0);
      expect(removal.counts).toMatchObject({ source_keys_removed: 16 });
      for (const m of masters) expect(await m.keys(`${tenantId}*`)).toEqual([]);
      const stored = await storedOnEveryMaster();
      for (const secret of go.secrets) expect(stored.filter((text) => text.includes(secret))).toEqual([]);
      expect(stored.filter((text) => text.includes('PRIVATE KEY'))).toEqual([]);
      await client.ok('RefreshToken', { ...tenant, refresh_token: c });
    } finally {
      client.close();
      await service.stop();
    }
  }, 120_000);
});

import { status } from '@grpc/grpc-js';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
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
  writeGoToken,
  type GoTokenSpec,
} from '../support/go-layout.js';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startService } from '../support/service-process.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const API_KEY = 'migrate-e2e-key';
const KEK = randomBytes(32).toString('base64');

// A Redis of this file's own: the dry run is compared key by key over the whole server,
// and the check after --remove-source reads every key and value there is.
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
}, 30_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

function env(tenantId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'go-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=migrate-e2e`,
    TOKEN_ENGINE_REDIS_URL: server.url,
    TOKEN_ENGINE_KEY_ENCRYPTION_KEY: KEK,
    ...extra,
  };
}

/** A tenant in the exact Go layout: what the test expects of it is named by user. */
async function goTenant(tenantId: string) {
  const now = Date.now();
  const live = (userId: string, audiences: string[], extra: Partial<GoTokenSpec> = {}): GoTokenSpec => ({
    userId,
    audiences,
    createdAt: now - 2 * DAY,
    expiresAt: now + 28 * DAY,
    ...extra,
  });
  const specs = {
    alice: live('alice', ['api', 'admin'], { claims: { role: 'admin' } }),
    bob: live('bob', ['api']),
    carol: live('carol', []),
    frank: live('frank', ['shop']),
    gina: live('gina', ['shop']),
    henry: live('henry', ['api']),
    ivan: live('ivan', ['reports']),
    dave: live('dave', ['api'], { revoked: true }),
    erin: live('erin', ['api'], { expiresAt: now - 60 * MIN, ttl: false }),
  };
  const raw = Object.fromEntries(Object.keys(specs).map((user) => [user, goRefreshToken()])) as Record<
    keyof typeof specs,
    string
  >;
  for (const [user, spec] of Object.entries(specs)) await writeGoToken(redis, tenantId, raw[user as keyof typeof specs], spec);

  // What the Go service leaves behind besides live records: a revocation written after its
  // token's hash expired (a hash with only `revoked`, no TTL), an index entry whose hash is
  // long gone, and a cached RefreshToken answer holding a raw refresh token.
  const orphan = goRefreshToken();
  await redis.hset(`${tenantId}tokens:${orphan}`, 'revoked', 'true');
  const stale = goRefreshToken();
  await redis.sadd(`${tenantId}user_tokens:zoe`, stale);
  await redis.set(
    `idempotency:${tenantId}:RefreshToken:retry-1`,
    JSON.stringify({ access_token: 'x.y.z', refresh_token: raw.alice, access_token_expires_in: 900 }),
  );

  const current = goSigningKey();
  const rotated = goSigningKey();
  const old = goSigningKey();
  await writeGoKey(redis, tenantId, current, { createdAt: goTime(now - 10 * MIN), expiresAt: GO_ZERO_TIME });
  await writeGoKey(redis, tenantId, rotated, { createdAt: goTime(now - DAY), expiresAt: goTime(now + 30 * MIN) });
  await writeGoKey(redis, tenantId, old, { createdAt: goTime(now - 2 * DAY), expiresAt: goTime(now - 2 * 60 * MIN) });

  const secrets = [
    ...Object.values(raw),
    orphan,
    stale,
    ...[current, rotated, old].flatMap((k) => [
      k.pem.split('\n')[1] ?? '',
      createPrivateKey(k.pem).export({ format: 'jwk' }).d ?? '',
    ]),
  ];
  return { raw, keys: { current, rotated, old }, secrets };
}

async function jwks(httpBase: string): Promise<JSONWebKeySet> {
  const res = await fetch(`${httpBase}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as JSONWebKeySet;
}

describe('migrate-from-go (node dist/main.js) on a single Redis', () => {
  it('moves a Go tenant: dry run first, then tokens and keys that work through our service, once; then removes the source', async () => {
    const tenantId = uniquePrefix('go');
    const go = await goTenant(tenantId);
    const tenant = { tenant_id: tenantId };

    // --dry-run: the whole server, byte for byte, is what it was.
    const before = await dumpAll(redis);
    const dry = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.counts).toMatchObject({ dry_run: true, tokens_migrated: 7, tokens_revoked: 1, keys_imported: 2 });
    expect(await dumpAll(redis)).toEqual(before);

    const first = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.counts).toMatchObject({
      tenant_id: tenantId,
      dry_run: false,
      tokens_seen: 10,
      tokens_migrated: 7,
      tokens_revoked: 1,
      tokens_already: 0,
      tokens_expired: 1,
      tokens_malformed: 1,
      keys_seen: 3,
      keys_imported: 2,
      keys_expired: 1,
      keys_malformed: 0,
      source_keys_removed: 0,
    });
    for (const secret of go.secrets) {
      expect(first.stdout).not.toContain(secret);
      expect(first.stderr).not.toContain(secret);
    }
    expect(first.stderr).toMatch(/refresh token [0-9a-f]{16} skipped: no userID field/);

    const second = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.counts).toMatchObject({ tokens_migrated: 0, tokens_revoked: 0, tokens_already: 8, keys_imported: 0 });
    // The Go key without expiry may have signed until this run: it is published a little longer.
    expect(Number(second.counts['keys_already']) + Number(second.counts['keys_extended'])).toBe(2);
    expect(second.stderr).toContain('nothing new to migrate');

    const service = await startService(env(tenantId));
    const client = new TestClient(service.grpcAddress, API_KEY);
    try {
      const published = await jwks(service.httpBase);
      const kids = published.keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([go.keys.current.kid, go.keys.rotated.kid]));
      expect(kids).not.toContain(go.keys.old.kid);
      for (const k of published.keys.filter((k) => k.kid === go.keys.current.kid)) {
        expect(k).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
        expect(k).not.toHaveProperty('d');
      }

      // JWTs the Go service signed keep verifying against our JWKS, with their kid.
      for (const key of [go.keys.current, go.keys.rotated]) {
        const goJwt = await new SignJWT({ sub: 'alice', aud: ['api'], jti: 'go-jti' })
          .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
          .setIssuer(tenantId)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(key.privateKey);
        const verified = await jwtVerify(goJwt, createLocalJWKSet(published), { issuer: tenantId });
        expect(verified.protectedHeader.kid).toBe(key.kid);
      }

      // A Go refresh token refreshes exactly once, keeping user, audiences and claims.
      const pair = await client.ok<WireTokenPair>('RefreshToken', { ...tenant, refresh_token: go.raw.alice });
      const { payload, protectedHeader } = await jwtVerify(pair.access_token, createLocalJWKSet(published));
      expect(payload).toMatchObject({ sub: 'alice', aud: ['api', 'admin'], iss: tenantId, role: 'admin' });
      // Imported keys never sign.
      expect([go.keys.current.kid, go.keys.rotated.kid]).not.toContain(protectedHeader.kid);
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: go.raw.alice })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
      // The reuse revoked the migrated token's family: its successor too.
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: pair.refresh_token })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );

      // A token stored without audiences gets the tenant's default, as the Go service signed it.
      const carol = await client.ok<WireTokenPair>('RefreshToken', { ...tenant, refresh_token: go.raw.carol });
      expect((await jwtVerify(carol.access_token, createLocalJWKSet(published))).payload.aud).toEqual(['go-api']);

      expect((await client.call('RefreshToken', { ...tenant, refresh_token: go.raw.dave })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: go.raw.erin })).error?.code).toBe(status.NOT_FOUND);

      // Bulk revocations reach migrated tokens.
      await client.ok('RevokeAllUserTokens', { ...tenant, user_id: 'bob' });
      await client.ok('RevokeAllForAudience', { ...tenant, audience: 'reports' });
      await client.ok('RevokeAllForUserAndAudience', { ...tenant, user_id: 'frank', audience: 'shop' });
      for (const revoked of [go.raw.bob, go.raw.ivan, go.raw.frank]) {
        expect((await client.call('RefreshToken', { ...tenant, refresh_token: revoked })).error?.code).toBe(
          status.PERMISSION_DENIED,
        );
      }
      await client.ok('RefreshToken', { ...tenant, refresh_token: go.raw.gina });

      // --remove-source: every Go key goes, index entries and cached answers included.
      const removal = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId, '--remove-source']);
      expect(removal.code, removal.stderr).toBe(0);
      expect(removal.counts).toMatchObject({
        tokens_seen: 10,
        tokens_migrated: 0,
        // 10 token hashes, 3 × (ks:pem + ks:meta), 1 idempotency record.
        source_keys_removed: 17,
        // Each token's expiry index, user and audience entries (36), and the stale one.
        index_entries_removed: 37,
      });
      const stored = await everythingStored(redis);
      for (const secret of go.secrets) {
        expect(stored.filter((text) => text.includes(secret))).toEqual([]);
      }
      expect(stored.filter((text) => text.includes('PRIVATE KEY'))).toEqual([]);
      expect(await redis.keys(`${tenantId}*`)).toEqual([]);
      expect(await redis.keys(`idempotency:${tenantId}:*`)).toEqual([]);

      // Our records do not depend on the source.
      await client.ok('RefreshToken', { ...tenant, refresh_token: go.raw.henry });
      const keysAfter = await jwks(service.httpBase);
      expect(keysAfter.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([go.keys.current.kid, go.keys.rotated.kid]));

      const after = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId]);
      expect(after.counts).toMatchObject({ tokens_seen: 0, keys_seen: 0, tokens_migrated: 0 });
    } finally {
      client.close();
      await service.stop();
    }
  }, 90_000);

  it('reads the Go data from a separate Redis given by --source-redis-url', async () => {
    const source = await startRedisServer();
    const sourceRedis = new Redis(source.url, { maxRetriesPerRequest: 2 });
    try {
      const tenantId = uniquePrefix('go-source');
      const raw = goRefreshToken();
      const now = Date.now();
      await writeGoToken(sourceRedis, tenantId, raw, {
        userId: 'alice',
        audiences: ['api'],
        createdAt: now,
        expiresAt: now + DAY,
      });
      const key = goSigningKey();
      await writeGoKey(sourceRedis, tenantId, key, { createdAt: goTime(now), expiresAt: GO_ZERO_TIME });

      const run = await runMigrateFromGo(env(tenantId), [
        '--tenant',
        tenantId,
        '--source-redis-url',
        source.url,
        '--remove-source',
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.counts).toMatchObject({ tokens_migrated: 1, keys_imported: 1, source_keys_removed: 3 });
      expect(await sourceRedis.dbsize()).toBe(0);

      const service = await startService(env(tenantId));
      const client = new TestClient(service.grpcAddress, API_KEY);
      try {
        await client.ok('RefreshToken', { tenant_id: tenantId, refresh_token: raw });
        expect((await jwks(service.httpBase)).keys.map((k) => k.kid)).toContain(key.kid);
      } finally {
        client.close();
        await service.stop();
      }
    } finally {
      sourceRedis.disconnect();
      await source.stop();
    }
  }, 60_000);
});

describe('migrate-from-go refusals', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrate-from-go-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function tenantsFile(ids: string[]): Promise<string> {
    const path = join(dir, `tenants-${randomBytes(4).toString('hex')}.yaml`);
    const lines = ['version: 1', 'tenants:', ...ids.map((id) => `  - { id: "${id}", issuer: "${id}", audience: api }`)];
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  }

  it('refuses the memory store', async () => {
    const run = await runMigrateFromGo(env('x', { TOKEN_ENGINE_STORE: 'memory' }), ['--tenant', 'x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('TOKEN_ENGINE_STORE=memory');
    expect(run.stdout).toBe('');
  });

  it('refuses a tenant the configuration does not define', async () => {
    const run = await runMigrateFromGo(env('x'), ['--tenant', 'nobody']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('tenant "nobody" is not configured');
  });

  it('refuses tenants whose Go keys share a prefix (x and xuser_), in both directions, naming them', async () => {
    const path = await tenantsFile(['xuser_', 'acme-eu']);
    const forX = await runMigrateFromGo(env('x', { TOKEN_ENGINE_TENANTS_PATH: path }), ['--tenant', 'x']);
    expect(forX.code).toBe(1);
    expect(forX.stderr).toContain('refusing to migrate tenant "x"');
    expect(forX.stderr).toContain('"xuser_"');
    const forLonger = await runMigrateFromGo(env('x', { TOKEN_ENGINE_TENANTS_PATH: path }), ['--tenant', 'xuser_']);
    expect(forLonger.code).toBe(1);
    expect(forLonger.stderr).toContain('"x"');
  });

  it('lets tenants with a common prefix through when no Go key kind lines up (acme and acme-eu)', async () => {
    const path = await tenantsFile(['acme-eu']);
    const run = await runMigrateFromGo(env('acme', { TOKEN_ENGINE_TENANTS_PATH: path }), ['--tenant', 'acme', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.counts).toMatchObject({ tenant_id: 'acme', tokens_seen: 0, keys_seen: 0 });
  });

  it('answers bad arguments with exit 2 and the usage, never echoing a source URL', async () => {
    const missing = await runMigrateFromGo(env('x'), []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--tenant <id> is required');
    expect(missing.stderr).toContain('usage:');
    const badUrl = await runMigrateFromGo(env('x'), ['--tenant', 'x', '--source-redis-url', 'http://user:hunter2@host']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--source-redis-url must use the redis:// or rediss:// scheme');
    expect(badUrl.stderr).not.toContain('hunter2');
    const unknown = await runMigrateFromGo(env('x'), ['--tenant', 'x', '--everything']);
    expect(unknown.code).toBe(2);
  });
});

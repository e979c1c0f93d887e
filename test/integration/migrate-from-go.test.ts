import { SealedKeySigner } from '../../src/keys/sealed-signer.js';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { GoSource } from '../../src/migration/go-source.js';
import { GoMigration, type GoMigrationOptions, type MigrationCounts } from '../../src/migration/migrate.js';
import { createMemoryStores } from '../../src/store/memory/index.js';
import { refreshTokenDigest } from '../../src/tokens/refresh-token.js';
import { GO_ZERO_TIME, goRefreshToken, goSigningKey, goTime, writeGoKey, writeGoToken } from '../support/go-layout.js';
import { uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const redis = testRedis();
const KEK = randomBytes(32);

afterAll(() => redis.disconnect());

/**
 * The migration itself, run in-process from the test Redis (the Go layout) into memory
 * stores, for what the built command's tests do not reach: a second run after the Go
 * service kept serving, kid conflicts, keys the Go layout does not explain.
 */
function migration(tenantId: string) {
  const clock = new ManualClock(Date.now());
  const stores = createMemoryStores(clock);
  const tenant = {
    id: tenantId,
    defaultAudience: 'go-api',
    accessTokenTtlMs: 15 * MIN,
    refreshTokenTtlMs: 30 * DAY,
    storePolicy: { tenantId, revocationRetentionMs: 30 * DAY },
  };
  const warnings: string[] = [];
  const run = (options: Partial<GoMigrationOptions> = {}): Promise<MigrationCounts> =>
    new GoMigration(
      {
        source: new GoSource(redis),
        tokens: stores.tokens,
        signingKeys: stores.signingKeys,
        tenant,
        kek: KEK,
        signer: new SealedKeySigner(KEK),
        jwksCacheMaxAgeMs: 5 * MIN,
        clock,
        report: { progress: () => undefined, warn: (message) => warnings.push(message) },
      },
      { dryRun: false, removeSource: false, scanCount: 50, batchSize: 7, ...options },
    ).run();
  const state = async (raw: string) =>
    (await stores.tokens.present(tenant.storePolicy, refreshTokenDigest(raw), clock.now())).kind;
  return { clock, stores, tenant, run, state, warnings };
}

const spec = (userId: string, now = Date.now()) => ({
  userId,
  audiences: ['api'],
  createdAt: now - DAY,
  expiresAt: now + 10 * DAY,
});

describe('GoMigration (Go layout in Redis → memory stores)', () => {
  it('a second run after the Go service kept serving: new tokens come, revocations since are carried over', async () => {
    const tenantId = uniquePrefix('go-int');
    const m = migration(tenantId);
    const alice = goRefreshToken();
    const bob = goRefreshToken();
    await writeGoToken(redis, tenantId, alice, spec('alice'));
    await writeGoToken(redis, tenantId, bob, spec('bob'));
    expect(await m.run()).toMatchObject({ tokens_migrated: 2, tokens_revoked: 0 });

    // Meanwhile the Go service refreshed alice's token (which revokes it there) and issued one for carol.
    await redis.hset(`${tenantId}tokens:${alice}`, 'revoked', 'true');
    const carol = goRefreshToken();
    await writeGoToken(redis, tenantId, carol, spec('carol'));

    const dry = await m.run({ dryRun: true });
    expect(dry).toMatchObject({ tokens_migrated: 1, tokens_revoked: 1, tokens_already: 1 });
    expect(await m.state(alice)).toBe('active');
    expect(await m.state(carol)).toBe('not_found');

    expect(await m.run()).toMatchObject({ tokens_migrated: 1, tokens_revoked: 1, tokens_already: 1 });
    expect(await m.state(alice)).toBe('revoked');
    expect(await m.state(carol)).toBe('active');
    expect(await m.run()).toMatchObject({ tokens_migrated: 0, tokens_revoked: 0, tokens_already: 3 });
  });

  it('publishes the key the Go service signs with longer on a later run, never signing with it', async () => {
    const tenantId = uniquePrefix('go-int-keys');
    const m = migration(tenantId);
    const key = goSigningKey();
    await writeGoKey(redis, tenantId, key, { createdAt: goTime(Date.now() - MIN), expiresAt: GO_ZERO_TIME });
    expect(await m.run()).toMatchObject({ keys_imported: 1 });
    const [first] = await m.stores.signingKeys.list(tenantId);
    expect(first).toMatchObject({ kid: key.kid, alg: 'RS256', expiresAt: m.clock.now() + 20 * MIN });
    expect(first?.activatesAt).toBe(first?.expiresAt);
    expect(first?.sealedPrivateKey?.startsWith('a256gcm.')).toBe(true);
    // Tagged like the service's own records, so the service uses it.
    expect(first?.mac).toBeDefined();

    m.clock.advance(10 * MIN);
    expect(await m.run()).toMatchObject({ keys_imported: 0, keys_extended: 1 });
    const [later] = await m.stores.signingKeys.list(tenantId);
    expect(later?.expiresAt).toBe(m.clock.now() + 20 * MIN);
    expect(later?.activatesAt).toBe(later?.expiresAt);
    expect(await m.run()).toMatchObject({ keys_imported: 0, keys_extended: 0, keys_already: 1 });
  });

  it('leaves a Go key whose kid the tenant already uses for another key where it is, and says so', async () => {
    const tenantId = uniquePrefix('go-int-conflict');
    const m = migration(tenantId);
    const ours = await new SealedKeySigner(KEK).generate(tenantId, 'RS256', {
      createdAt: m.clock.now(),
      activatesAt: m.clock.now(),
    });
    await m.stores.signingKeys.put(tenantId, [ours]);
    const go = goSigningKey();
    await writeGoKey(redis, tenantId, { kid: ours.kid, pem: go.pem }, { createdAt: goTime(Date.now()), expiresAt: GO_ZERO_TIME });

    expect(await m.run({ removeSource: true })).toMatchObject({ keys_conflicting: 1, keys_imported: 0, source_keys_removed: 0 });
    expect(m.warnings.join('\n')).toContain(`signing key ${ours.kid} not imported`);
    expect(await m.stores.signingKeys.list(tenantId)).toEqual([ours]);
    expect(await redis.exists(`${tenantId}ks:pem:${ours.kid}`)).toBe(1);
  });

  it('never touches keys under the patterns that are not the Go layout, and removes unusable Go keys with the source', async () => {
    const tenantId = uniquePrefix('go-int-odd');
    const m = migration(tenantId);
    const setNamedLikeAToken = goRefreshToken();
    await redis.set(`${tenantId}tokens:not-a-refresh-token`, 'x');
    await redis.sadd(`${tenantId}tokens:${setNamedLikeAToken}`, 'member');
    await redis.set(`${tenantId}ks:pem:not-a-kid`, 'x');
    const noMeta = goSigningKey();
    await redis.set(`${tenantId}ks:pem:${noMeta.kid}`, noMeta.pem);
    const orphan = goRefreshToken();
    await redis.hset(`${tenantId}tokens:${orphan}`, 'revoked', 'true');

    const counts = await m.run({ removeSource: true });
    expect(counts).toMatchObject({
      unrecognised_keys: 3,
      keys_malformed: 1,
      tokens_malformed: 1,
      // The PEM without meta and the orphan hash.
      source_keys_removed: 2,
    });
    expect(m.warnings.join('\n')).toContain(`signing key ${noMeta.kid} skipped: no ks:meta entry`);
    expect(
      await redis.exists(
        `${tenantId}tokens:not-a-refresh-token`,
        `${tenantId}tokens:${setNamedLikeAToken}`,
        `${tenantId}ks:pem:not-a-kid`,
      ),
    ).toBe(3);
    expect(await redis.exists(`${tenantId}ks:pem:${noMeta.kid}`, `${tenantId}tokens:${orphan}`)).toBe(0);
  });

  it('with removeSource, keeps index entries whose hash still exists and removes the Go idempotency records', async () => {
    const tenantId = uniquePrefix('go-int-sweep');
    const m = migration(tenantId);
    const alice = goRefreshToken();
    await writeGoToken(redis, tenantId, alice, spec('alice'));
    // An index entry whose token key still exists is kept (what a Go service still writing
    // leaves; here the key is a set, so the token pass leaves it alone too).
    const odd = goRefreshToken();
    await redis.sadd(`${tenantId}user_tokens:alice`, odd);
    await redis.sadd(`${tenantId}tokens:${odd}`, 'not a hash');
    const stale = goRefreshToken();
    await redis.zadd(`${tenantId}token_expiry_index`, Date.now() - DAY, stale);
    await redis.set(`idempotency:${tenantId}:IssueToken:k1`, 'cached pair');
    await redis.set(`idempotency:${tenantId}x:IssueToken:k2`, 'another tenant');

    const counts = await m.run({ removeSource: true });
    expect(counts).toMatchObject({ tokens_migrated: 1 });
    expect(await redis.smembers(`${tenantId}user_tokens:alice`)).toEqual([odd]);
    expect(await redis.zrange(`${tenantId}token_expiry_index`, 0, -1)).toEqual([]);
    expect(await redis.exists(`idempotency:${tenantId}:IssueToken:k1`)).toBe(0);
    expect(await redis.exists(`idempotency:${tenantId}x:IssueToken:k2`)).toBe(1);
    await redis.del(`idempotency:${tenantId}x:IssueToken:k2`);
  });
});

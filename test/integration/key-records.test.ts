import { decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { encodeId } from '../../src/store/redis/keys.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';

// Someone with write access to Redis (and a copy of a retired, possibly leaked, key's
// record) must not be able to bring the key back by rewriting its schedule.
const MIN = 60_000;
const KEK = Buffer.alloc(32, 3).toString('base64');
const redis = testRedis();

afterAll(async () => {
  await redis.quit();
});

async function replica(tenantId: string, clock: ManualClock): Promise<App> {
  const { config } = loadConfig({
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
    TOKEN_ENGINE_SIGNING_ALG: 'ES256',
    TOKEN_ENGINE_KEY_ENCRYPTION_KEY: KEK,
    TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: '5m',
    TOKEN_ENGINE_ACCESS_TOKEN_TTL: '15m',
  });
  return buildApp(config, { clock, log: createLogger('silent') });
}

const keysHash = (tenantId: string): string => `te:{${encodeId(tenantId)}}:keys`;
const kids = (app: App, tenantId: string): (string | undefined)[] =>
  app.tenants
    .get(tenantId)
    ?.keys.jwks()
    .keys.map((k) => k.kid) ?? [];
const signingKid = async (app: App, tenantId: string): Promise<unknown> =>
  decodeProtectedHeader((await app.tokens.issue({ tenantId, subject: 'u', audiences: [], claims: {} })).accessToken).kid;

describe('signing-key records are covered by their integrity tag', () => {
  const tenantId = uniquePrefix('records');
  const clock = new ManualClock(Date.now());
  let app: App;
  let retiredKid = '';
  let currentKid = '';

  afterAll(async () => {
    await app.stop();
  });

  it('a retired key whose expiresAt is rewritten in Redis is neither published nor used again', async () => {
    app = await replica(tenantId, clock);
    [retiredKid = ''] = kids(app, tenantId) as string[];
    currentKid = await app.rotateKeys(tenantId, true);
    expect(kids(app, tenantId)).toEqual([currentKid]);

    // The attack: the retired record made current again, with a schedule newer than the current key's.
    const record = JSON.parse((await redis.hget(keysHash(tenantId), retiredKid)) ?? '{}') as Record<string, unknown>;
    expect(record['expiresAt']).toBeTypeOf('number');
    const revived: Record<string, unknown> = { ...record, activatesAt: clock.now() + 1, createdAt: clock.now() + 1 };
    delete revived['expiresAt'];
    await redis.hset(keysHash(tenantId), retiredKid, JSON.stringify(revived));
    clock.advance(MIN);

    await app.keyMaintenance.tick();
    expect(kids(app, tenantId)).toEqual([currentKid]);
    expect(await signingKid(app, tenantId)).toBe(currentKid);

    // A replica starting now refuses the record as well.
    const fresh = await replica(tenantId, clock);
    expect(kids(fresh, tenantId)).toEqual([currentKid]);
    expect(await signingKid(fresh, tenantId)).toBe(currentKid);
    await fresh.stop();
  });

  it('an emergency rotation does not launder the tampered record with a fresh tag', async () => {
    const tampered = await redis.hget(keysHash(tenantId), retiredKid);
    const next = await app.rotateKeys(tenantId, true);
    expect(await redis.hget(keysHash(tenantId), retiredKid)).toBe(tampered);
    expect(kids(app, tenantId)).toEqual([next]);
    currentKid = next;
  });

  it('records from before tags existed are refused, and a tenant left with none gets a new key', async () => {
    const legacyTenant = uniquePrefix('legacy');
    const first = await replica(legacyTenant, clock);
    const [oldKid = ''] = kids(first, legacyTenant) as string[];
    await first.stop();
    const record = JSON.parse((await redis.hget(keysHash(legacyTenant), oldKid)) ?? '{}') as Record<string, unknown>;
    delete record['mac'];
    await redis.hset(keysHash(legacyTenant), oldKid, JSON.stringify(record));

    const upgraded = await replica(legacyTenant, clock);
    const [newKid] = kids(upgraded, legacyTenant);
    expect(newKid).not.toBe(oldKid);
    expect(kids(upgraded, legacyTenant)).toEqual([newKid]);
    expect(await signingKid(upgraded, legacyTenant)).toBe(newKid);

    // Once no token the refused key could have signed is still valid, its record is deleted.
    await upgraded.keyMaintenance.tick();
    expect(await redis.hexists(keysHash(legacyTenant), oldKid)).toBe(1);
    clock.advance(20 * MIN);
    await upgraded.keyMaintenance.tick();
    expect(await redis.hexists(keysHash(legacyTenant), oldKid)).toBe(0);
    await upgraded.stop();
  });
});

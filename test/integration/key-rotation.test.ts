import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';
import { encodeId } from '../../src/store/redis/keys.js';

const MIN = 60_000;
const redis = testRedis();

function env(tenantId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
    TOKEN_ENGINE_SIGNING_ALG: 'ES256',
    TOKEN_ENGINE_KEY_ROTATION_INTERVAL: '1h',
    TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: '5m',
    TOKEN_ENGINE_ROTATION_WINDOW_GUARD: '1m',
    TOKEN_ENGINE_ACCESS_TOKEN_TTL: '15m',
    ...extra,
  };
}

async function replica(tenantId: string, clock: ManualClock, extra: Record<string, string> = {}): Promise<App> {
  const { config } = loadConfig(env(tenantId, extra));
  return buildApp(config, { clock, log: createLogger('silent') });
}

afterAll(async () => {
  await redis.quit();
});

describe('coordinated key rotation across two replicas (controlled clock)', () => {
  const tenantId = uniquePrefix('rotation');
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const t0 = clock.now();
  let a: App;
  let b: App;
  beforeAll(async () => {
    [a, b] = await Promise.all([replica(tenantId, clock), replica(tenantId, clock)]);
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  const jwksOf = (app: App): JSONWebKeySet => app.tenants.get(tenantId)?.keys.jwks() as JSONWebKeySet;
  const kids = (app: App) => jwksOf(app).keys.map((k) => k.kid);
  const tickBoth = () => Promise.all([a.keyMaintenance.tick(), b.keyMaintenance.tick()]);
  const issue = async (app: App) => (await app.tokens.issue({ tenantId, subject: 'u', audiences: [], claims: {} })).accessToken;
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const verifiesAt = async (token: string, app: App, at: number) => {
    try {
      await jwtVerify(token, createLocalJWKSet(jwksOf(app)), { currentDate: new Date(at) });
      return true;
    } catch {
      return false;
    }
  };

  it('starts with one shared key, published identically by both', async () => {
    expect(kids(a)).toHaveLength(1);
    expect(jwksOf(a)).toEqual(jwksOf(b));
  });

  it('walks a full rotation: one new key, published ahead, signing on time, retired after its tokens expire', async () => {
    const [k1] = kids(a);
    const early = await issue(a);
    expect(kidOf(early)).toBe(k1);

    clock.set(t0 + 55 * MIN - 1_000);
    await tickBoth();
    expect(kids(a)).toEqual([k1]);

    // Rotation is due 5 min (one cache lifetime) before the interval ends: exactly one replica makes the key.
    clock.set(t0 + 55 * MIN);
    await tickBoth();
    await tickBoth();
    expect(kids(a)).toHaveLength(2);
    expect(jwksOf(a)).toEqual(jwksOf(b));
    const k2 = kids(a)[1];
    expect(k2).not.toBe(k1);
    expect(Number(await redis.hlen(`te:{${encodeId(tenantId)}}:keys`))).toBe(2);
    const published = clock.now();

    clock.set(t0 + 59 * MIN);
    const lastOld = await issue(b);
    expect(kidOf(lastOld)).toBe(k1);

    clock.set(t0 + 60 * MIN - 1);
    expect(kidOf(await issue(a))).toBe(k1);
    clock.set(t0 + 60 * MIN);
    const firstNew = await issue(a);
    expect(kidOf(firstNew)).toBe(k2);
    expect(kidOf(await issue(b))).toBe(k2);
    expect(clock.now() - published).toBeGreaterThanOrEqual(5 * MIN);
    await tickBoth();
    expect(jwksOf(a)).toEqual(jwksOf(b));

    // The last token of the old key verifies until it expires; the old key stays one cache lifetime more.
    clock.set(t0 + 74 * MIN - 1_000);
    await tickBoth();
    expect(await verifiesAt(lastOld, a, clock.now())).toBe(true);
    expect(await verifiesAt(lastOld, b, clock.now())).toBe(true);
    clock.set(t0 + 80 * MIN - 1);
    await tickBoth();
    expect(kids(a)).toEqual([k1, k2]);
    clock.set(t0 + 80 * MIN);
    await tickBoth();
    expect(kids(a)).toEqual([k2]);
    expect(jwksOf(a)).toEqual(jwksOf(b));
    expect(Number(await redis.hlen(`te:{${encodeId(tenantId)}}:keys`))).toBe(1);
  });

  it('emergency rotation with retirement replaces the key at once on every replica', async () => {
    const before = kids(a);
    const kid = await a.rotateKeys(tenantId, true);
    expect(kids(a)).toEqual([kid]);
    await b.keyMaintenance.tick();
    expect(kids(b)).toEqual([kid]);
    expect(kidOf(await issue(b))).toBe(kid);
    expect(before).not.toContain(kid);
  });

  it('counts the rotations it performed', async () => {
    const text = (await a.metrics.registry.metrics()) + (await b.metrics.registry.metrics());
    const scheduled = [...text.matchAll(/token_engine_key_rotations_total\{tenant_id="[^"]+",reason="scheduled"\} (\d+)/g)].map(
      (m) => Number(m[1]),
    );
    expect(scheduled.reduce((x, y) => x + y, 0)).toBe(1);
    expect(text).toMatch(/token_engine_key_rotations_total\{tenant_id="[^"]+",reason="emergency"\} 1/);
  });
});

describe('rotation intervals longer than the timer limit', () => {
  it('rotates after 40 days without any long timer', async () => {
    const tenantId = uniquePrefix('long');
    const clock = new ManualClock(Date.now());
    const app = await replica(tenantId, clock, { TOKEN_ENGINE_KEY_ROTATION_INTERVAL: '960h' });
    const keys = () => app.tenants.get(tenantId)?.keys.jwks().keys.length;
    clock.advance(39 * 24 * 60 * MIN);
    await app.keyMaintenance.tick();
    expect(keys()).toBe(1);
    clock.advance(24 * 60 * MIN);
    await app.keyMaintenance.tick();
    expect(keys()).toBe(2);
    await app.stop();
  });
});

describe('private keys at rest', () => {
  it('turning a key-encryption key on replaces unencrypted keys instead of trusting them', async () => {
    const tenantId = uniquePrefix('kek-on');
    const clock = new ManualClock(Date.now());
    const plain = await replica(tenantId, clock);
    const plainKid = plain.tenants.get(tenantId)?.keys.jwks().keys[0]?.kid;
    await plain.stop();
    const sealed = await replica(tenantId, clock, { TOKEN_ENGINE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') });
    const kids = sealed.tenants
      .get(tenantId)
      ?.keys.jwks()
      .keys.map((k) => k.kid);
    expect(kids).toHaveLength(1);
    expect(kids).not.toContain(plainKid);
    const { accessToken } = await sealed.tokens.issue({ tenantId, subject: 'u', audiences: [], claims: {} });
    expect(decodeProtectedHeader(accessToken).kid).toBe(kids?.[0]);
    await sealed.stop();
  });

  it('are sealed with the key-encryption key, and a wrong key stops the start', async () => {
    const tenantId = uniquePrefix('kek');
    const kek = Buffer.alloc(32, 7).toString('base64');
    const clock = new ManualClock(Date.now());
    const app = await replica(tenantId, clock, { TOKEN_ENGINE_KEY_ENCRYPTION_KEY: kek });
    const stored = await redis.hvals(`te:{${encodeId(tenantId)}}:keys`);
    expect(stored).toHaveLength(1);
    for (const blob of stored) {
      expect(blob).not.toMatch(/"d"\s*:|PRIVATE KEY|plain\./);
      expect(blob).toContain('a256gcm.');
    }
    await app.stop();

    const wrong = Buffer.alloc(32, 8).toString('base64');
    await expect(replica(tenantId, clock, { TOKEN_ENGINE_KEY_ENCRYPTION_KEY: wrong })).rejects.toThrow(/cannot be decrypted/);
    await expect(replica(tenantId, clock)).rejects.toThrow(/TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not set/);
  });
});

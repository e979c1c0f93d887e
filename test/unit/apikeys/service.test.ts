import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../src/apikeys/memory-store.js';
import { API_KEY_INVALID, ApiKeyService } from '../../../src/apikeys/service.js';
import { ManualClock } from '../../../src/clock.js';
import { DomainError, type ErrorCode } from '../../../src/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { MemoryLockStore } from '../../../src/store/memory/lock-store.js';
import { MemorySigningKeyStore } from '../../../src/store/memory/signing-key-store.js';
import { MemoryTokenStore } from '../../../src/store/memory/token-store.js';
import { buildTenant } from '../../../src/tenancy/tenancy.js';
import { TenantRegistry } from '../../../src/tenancy/tenants.js';
import { TokenValidator } from '../../../src/validation/validator.js';
import { counting } from '../../support/counting.js';

const TENANT = 'tenant-a';
const CALLER = { identity: 'admin' };

async function setup(options: { apiKeyTokenTtlMs?: number; perOwner?: number; pepper?: Buffer | null } = {}) {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const tenant = buildTenant(
    { id: TENANT, issuer: 'https://issuer', audience: 'default-api' },
    {
      accessTokenTtlMs: 15 * 60_000,
      refreshTokenTtlMs: 86_400_000,
      signingAlg: 'ES256',
      keyRotationIntervalMs: 30 * 86_400_000,
      jwksCacheMaxAgeMs: 300_000,
      rotationWindowGuardMs: 60_000,
      keyEncryptionKey: undefined,
      lockTtlMs: 30_000,
      apiKeyTokenTtlMs: options.apiKeyTokenTtlMs,
    },
    { signingKeys: new MemorySigningKeyStore(), locks: new MemoryLockStore(clock), clock, log: createLogger('silent') },
  );
  await tenant.keys.load();
  const tenants = new TenantRegistry();
  tenants.add(tenant);
  const tokens = new MemoryTokenStore(clock);
  const { store, calls } = counting(new MemoryApiKeyStore(clock, tokens));
  const service = new ApiKeyService({
    tenants,
    store,
    clock,
    log: createLogger('silent'),
    pepper: options.pepper === null ? undefined : (options.pepper ?? randomBytes(32)),
    perOwner: options.perOwner ?? 100,
    maxLifetimeMs: 365 * 86_400_000,
    tokenTtlMs: 5 * 60_000,
  });
  const validator = new TokenValidator({ tenants, store: tokens, clock });
  return { clock, service, calls, validator };
}

async function domainError(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    return err as DomainError;
  }
  throw new Error(`expected DomainError ${code}`);
}

const create = (s: Awaited<ReturnType<typeof setup>>, over: object = {}) =>
  s.service.create({ tenantId: TENANT, owner: 'bot', name: 'n', claims: {}, audiences: [], expiresIn: 0, ...over }, CALLER);

describe('ApiKeyService', () => {
  it('mints a token for the owner with akid, the default audience and the API-key lifetime', async () => {
    const s = await setup();
    const created = await create(s, { claims: { tier: 'gold' } });
    const token = await s.service.exchange({ tenantId: TENANT, secret: created.secret }, CALLER);
    expect(token.expiresIn).toBe(300);
    expect(decodeJwt(token.accessToken)).toMatchObject({
      sub: 'bot',
      akid: created.info.keyId,
      tier: 'gold',
      aud: ['default-api'],
    });
  });

  it('uses the tenant lifetime, never longer than its access tokens', async () => {
    const short = await setup({ apiKeyTokenTtlMs: 60_000 });
    const a = await create(short);
    expect((await short.service.exchange({ tenantId: TENANT, secret: a.secret }, CALLER)).expiresIn).toBe(60);
    const long = await setup({ apiKeyTokenTtlMs: 3_600_000 });
    const b = await create(long);
    expect((await long.service.exchange({ tenantId: TENANT, secret: b.secret }, CALLER)).expiresIn).toBe(900);
  });

  it('refuses a mistyped or malformed key without calling the store', async () => {
    const s = await setup();
    const created = await create(s);
    s.calls.length = 0;
    const typo = `${created.secret.slice(0, 30)}${created.secret[30] === 'x' ? 'y' : 'x'}${created.secret.slice(31)}`;
    for (const secret of [typo, 'garbage', `${created.secret}x`]) {
      const err = await domainError(s.service.exchange({ tenantId: TENANT, secret }, CALLER), 'api_key_invalid');
      expect(err.message).toBe(API_KEY_INVALID);
    }
    expect(s.calls).toEqual([]);
  });

  it('reads the store once per exchange, and records last use at most once a minute', async () => {
    const s = await setup();
    const created = await create(s);
    s.calls.length = 0;
    await s.service.exchange({ tenantId: TENANT, secret: created.secret }, CALLER);
    expect(s.calls).toEqual(['lookup', 'touch']);
    s.calls.length = 0;
    s.clock.advance(30_000);
    await s.service.exchange({ tenantId: TENANT, secret: created.secret }, CALLER);
    expect(s.calls).toEqual(['lookup']);
    s.calls.length = 0;
    s.clock.advance(30_000);
    await s.service.exchange({ tenantId: TENANT, secret: created.secret }, CALLER);
    expect(s.calls).toEqual(['lookup', 'touch']);
  });

  it('refuses expired and revoked keys with the same message, and revokes their tokens', async () => {
    const s = await setup();
    const expiring = await create(s, { expiresIn: 60 });
    const token = await s.service.exchange({ tenantId: TENANT, secret: expiring.secret }, CALLER);
    s.clock.advance(60_000);
    await domainError(s.service.exchange({ tenantId: TENANT, secret: expiring.secret }, CALLER), 'api_key_invalid');

    const revoked = await create(s);
    const minted = await s.service.exchange({ tenantId: TENANT, secret: revoked.secret }, CALLER);
    expect((await s.validator.validate({ tenantId: TENANT, token: minted.accessToken }, 'validate_token')).active).toBe(true);
    await s.service.revoke(TENANT, revoked.info.keyId, CALLER);
    await s.service.revoke(TENANT, revoked.info.keyId, CALLER);
    await domainError(s.service.exchange({ tenantId: TENANT, secret: revoked.secret }, CALLER), 'api_key_invalid');
    expect(await s.validator.validate({ tenantId: TENANT, token: minted.accessToken }, 'validate_token')).toEqual({
      active: false,
      reason: 'revoked',
    });
    expect((await s.validator.validate({ tenantId: TENANT, token: token.accessToken }, 'validate_token')).active).toBe(true);
  });

  it('refuses a key beyond the per-owner limit', async () => {
    const s = await setup({ perOwner: 1 });
    await create(s);
    await domainError(create(s), 'api_key_limit');
    await create(s, { owner: 'other' });
  });

  it('is off without a pepper, naming the variable', async () => {
    const s = await setup({ pepper: null });
    const err = await domainError(create(s), 'api_keys_disabled');
    expect(err.message).toContain('TOKEN_ENGINE_API_KEY_PEPPER');
  });

  it('answers NOT_FOUND for an unknown tenant and refuses lifetimes beyond the maximum', async () => {
    const s = await setup();
    await domainError(create(s, { tenantId: 'nope' }), 'tenant_not_found');
    await domainError(create(s, { expiresIn: 366 * 86_400 }), 'invalid_argument');
  });
});

import { describe, it, expect, beforeEach } from 'vitest';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { ManualClock } from '../../../src/clock.js';
import { DomainError, type ErrorCode } from '../../../src/errors.js';
import { MemoryLockStore } from '../../../src/store/memory/lock-store.js';
import { createLogger } from '../../../src/observability/logger.js';
import { buildTenant } from '../../../src/tenancy/tenancy.js';
import { MemorySigningKeyStore } from '../../../src/store/memory/signing-key-store.js';
import { MemoryTokenStore } from '../../../src/store/memory/token-store.js';
import { TenantRegistry, type Tenant } from '../../../src/tenancy/tenants.js';
import { tokenRef } from '../../../src/tokens/refresh-token.js';
import { TokenService } from '../../../src/tokens/token-service.js';
import { counting } from '../../support/counting.js';

const TENANT = 'tenant-a';
const OTHER_TENANT = 'tenant-b';
const ISSUER = 'https://auth.example.com';
const DEFAULT_AUDIENCE = 'default-api';
const ACCESS_TTL_MS = 15 * 60 * 1000;
const REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CALLER = { identity: 'svc-admin' };

interface Fixture {
  clock: ManualClock;
  memory: MemoryTokenStore;
  calls: string[];
  service: TokenService;
  tenant: Tenant;
}

// Whole seconds: JWT times are whole seconds, so expires_in equals the TTL exactly.
const wholeSecondNow = (): number => Math.floor(Date.now() / 1000) * 1000;

/** A tenant as the app builds it (buildTenant), with its keys loaded. */
async function makeTenant(id: string, clock: ManualClock, signingKeys: MemorySigningKeyStore): Promise<Tenant> {
  const tenant = buildTenant(
    { id, issuer: id === TENANT ? ISSUER : `${ISSUER}/${id}`, audience: DEFAULT_AUDIENCE },
    {
      accessTokenTtlMs: ACCESS_TTL_MS,
      refreshTokenTtlMs: REFRESH_TTL_MS,
      signingAlg: 'ES256',
      keyRotationIntervalMs: 30 * 86_400_000,
      jwksCacheMaxAgeMs: 300_000,
      rotationWindowGuardMs: 60_000,
      keyEncryptionKey: undefined,
      lockTtlMs: 30_000,
    },
    { signingKeys, locks: new MemoryLockStore(clock), clock, log: createLogger('silent') },
  );
  await tenant.keys.load();
  return tenant;
}

async function setup(now = wholeSecondNow()): Promise<Fixture> {
  const clock = new ManualClock(now);
  const signingKeys = new MemorySigningKeyStore();
  const tenant = await makeTenant(TENANT, clock, signingKeys);
  const tenants = new TenantRegistry();
  tenants.add(tenant);
  tenants.add(await makeTenant(OTHER_TENANT, clock, signingKeys));
  const memory = new MemoryTokenStore(clock);
  const { store, calls } = counting(memory);
  return { clock, memory, calls, service: new TokenService({ tenants, store, clock, log: createLogger('silent') }), tenant };
}

/** Awaits a promise expected to reject with a DomainError of `code`, and returns it. */
async function domainError(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    return err as DomainError;
  }
  throw new Error(`expected DomainError ${code}, but the call succeeded`);
}

let f: Fixture;
beforeEach(async () => {
  f = await setup();
});

const issue = (overrides: { subject?: string; audiences?: string[]; claims?: Record<string, string> } = {}) =>
  f.service.issue({
    tenantId: TENANT,
    subject: overrides.subject ?? 'user-1',
    audiences: overrides.audiences ?? [],
    claims: overrides.claims ?? {},
  });

const refresh = (refreshToken: string, claims: Record<string, string> = {}, tenantId = TENANT) =>
  f.service.refresh({ tenantId, refreshToken, claims });

describe('TokenService.issue', () => {
  it('signs an access token with the tenant key and the JWT header', async () => {
    const pair = await issue();
    const header = decodeProtectedHeader(pair.accessToken);
    expect(header).toEqual({ alg: 'ES256', kid: f.tenant.keys.current().kid, typ: 'JWT' });
    const publicKey = await importJWK({ ...f.tenant.keys.current().publicJwk }, 'ES256');
    const { payload } = await jwtVerify(pair.accessToken, publicKey, {
      issuer: ISSUER,
      audience: DEFAULT_AUDIENCE,
      currentDate: new Date(f.clock.now()),
    });
    expect(payload.sub).toBe('user-1');
  });

  it('sets iss, sub, aud, iat = nbf, exp and a UUID v4 jti', async () => {
    const pair = await issue({ subject: 'user-42' });
    const payload = decodeJwt(pair.accessToken);
    const nowSeconds = Math.floor(f.clock.now() / 1000);
    expect(payload.iss).toBe(ISSUER);
    expect(payload.sub).toBe('user-42');
    expect(payload.aud).toEqual([DEFAULT_AUDIENCE]);
    expect(payload.iat).toBe(nowSeconds);
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(ACCESS_TTL_MS / 1000);
    expect(payload.jti).toMatch(UUID_V4);
  });

  it('uses the request audiences, always as an array', async () => {
    expect(decodeJwt((await issue({ audiences: ['api'] })).accessToken).aud).toEqual(['api']);
    expect(decodeJwt((await issue({ audiences: ['api', 'admin'] })).accessToken).aud).toEqual(['api', 'admin']);
  });

  it('puts custom claims at the top level as strings', async () => {
    const payload = decodeJwt((await issue({ claims: { role: 'admin', org: 'acme' } })).accessToken);
    expect(payload['role']).toBe('admin');
    expect(payload['org']).toBe('acme');
    expect(payload).not.toHaveProperty('claims');
  });

  it('gives every token a new jti', async () => {
    const a = decodeJwt((await issue()).accessToken).jti;
    const b = decodeJwt((await issue()).accessToken).jti;
    expect(a).not.toBe(b);
  });

  it('answers the lifetimes in seconds', async () => {
    const pair = await issue();
    expect(pair.accessTokenExpiresIn).toBe(ACCESS_TTL_MS / 1000);
    expect(pair.refreshTokenExpiresIn).toBe(REFRESH_TTL_MS / 1000);
  });

  it('answers whole seconds within a second of the real remaining lifetime between seconds', async () => {
    f = await setup(wholeSecondNow() + 500);
    const pair = await issue();
    const exp = decodeJwt(pair.accessToken).exp ?? 0;
    const remaining = (exp * 1000 - f.clock.now()) / 1000; // 899.5
    expect(Number.isInteger(pair.accessTokenExpiresIn)).toBe(true);
    expect(Math.abs(pair.accessTokenExpiresIn - remaining)).toBeLessThan(1);
    expect(pair.refreshTokenExpiresIn).toBe(REFRESH_TTL_MS / 1000);
  });

  it('returns a 43-character opaque refresh token', async () => {
    const pair = await issue();
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pair.accessToken).not.toContain(pair.refreshToken);
  });

  it('answers tenant_not_found for an unknown tenant', async () => {
    const err = await domainError(
      f.service.issue({ tenantId: 'nope', subject: 'u', audiences: [], claims: {} }),
      'tenant_not_found',
    );
    expect(err.message).toBe('tenant nope not found');
    expect(f.calls).toEqual([]);
  });
});

describe('TokenService.refresh', () => {
  it('returns a new pair with the same subject and audiences', async () => {
    const first = await issue({ subject: 'user-7', audiences: ['api', 'admin'] });
    f.clock.advance(60_000);
    const second = await refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    const payload = decodeJwt(second.accessToken);
    expect(payload.sub).toBe('user-7');
    expect(payload.aud).toEqual(['api', 'admin']);
    expect(payload.iss).toBe(ISSUER);
    expect(payload.iat).toBe(Math.floor(f.clock.now() / 1000));
    expect(second.accessTokenExpiresIn).toBe(ACCESS_TTL_MS / 1000);
    expect(second.refreshTokenExpiresIn).toBe(REFRESH_TTL_MS / 1000);
  });

  it('keeps the default audience through a refresh', async () => {
    const second = await refresh((await issue()).refreshToken);
    expect(decodeJwt(second.accessToken).aud).toEqual([DEFAULT_AUDIENCE]);
  });

  it('carries the stored claims over when the request has none', async () => {
    const first = await issue({ claims: { role: 'admin' } });
    const payload = decodeJwt((await refresh(first.refreshToken)).accessToken);
    expect(payload['role']).toBe('admin');
  });

  it("uses the request's claims when given", async () => {
    const first = await issue({ claims: { role: 'admin', org: 'acme' } });
    const payload = decodeJwt((await refresh(first.refreshToken, { role: 'viewer' })).accessToken);
    expect(payload['role']).toBe('viewer');
    expect(payload).not.toHaveProperty('org');
  });

  it('can be chained', async () => {
    let token = (await issue({ claims: { role: 'admin' } })).refreshToken;
    for (let i = 0; i < 3; i++) token = (await refresh(token)).refreshToken;
    const payload = decodeJwt((await refresh(token)).accessToken);
    expect(payload.sub).toBe('user-1');
    expect(payload['role']).toBe('admin');
  });

  it('detects reuse of a rotated token and revokes its family', async () => {
    const first = await issue();
    const second = await refresh(first.refreshToken);
    await domainError(refresh(first.refreshToken), 'refresh_token_reused');
    await domainError(refresh(second.refreshToken), 'refresh_token_revoked');
  });

  it('does not revoke other families on reuse', async () => {
    const other = await issue({ subject: 'user-1' });
    const first = await issue({ subject: 'user-1' });
    await refresh(first.refreshToken);
    await domainError(refresh(first.refreshToken), 'refresh_token_reused');
    await expect(refresh(other.refreshToken)).resolves.toMatchObject({ refreshToken: expect.any(String) });
  });

  it.each([
    ['garbage', 'garbage'],
    ['a 42-character token', 'A'.repeat(42)],
    ['a 44-character token', 'A'.repeat(44)],
    ['standard base64', `${'A'.repeat(42)}+`],
  ])('answers refresh_token_not_found for %s without touching the store', async (_name, token) => {
    f.calls.length = 0;
    await domainError(refresh(token), 'refresh_token_not_found');
    expect(f.calls).toEqual([]);
  });

  it('answers refresh_token_not_found for a well-formed unknown token', async () => {
    await domainError(refresh('A'.repeat(43)), 'refresh_token_not_found');
  });

  it('answers tenant_not_found for an unknown tenant', async () => {
    const first = await issue();
    const err = await domainError(refresh(first.refreshToken, {}, 'other-tenant'), 'tenant_not_found');
    expect(err.message).toBe('tenant other-tenant not found');
  });

  it('does not accept a token of another tenant', async () => {
    const token = (await issue()).refreshToken;
    await domainError(refresh(token, {}, OTHER_TENANT), 'refresh_token_not_found');
    await expect(refresh(token)).resolves.toBeDefined();
  });

  it('signs with the key and issuer of the tenant asked for', async () => {
    const pair = await f.service.issue({ tenantId: OTHER_TENANT, subject: 'u', audiences: [], claims: {} });
    expect(decodeJwt(pair.accessToken).iss).toBe(`${ISSUER}/${OTHER_TENANT}`);
    expect(decodeProtectedHeader(pair.accessToken).kid).not.toBe(f.tenant.keys.current().kid);
  });

  it('answers refresh_token_not_found once the refresh token has expired', async () => {
    const first = await issue();
    f.clock.advance(REFRESH_TTL_MS + 1);
    await domainError(refresh(first.refreshToken), 'refresh_token_not_found');
  });

  it('still accepts the refresh token just before it expires', async () => {
    const first = await issue();
    f.clock.advance(REFRESH_TTL_MS - 1_000);
    await expect(refresh(first.refreshToken)).resolves.toBeDefined();
  });

  it('never sends the refresh token value to the store', async () => {
    const first = await issue();
    const seen: unknown[] = [];
    const spying = new Proxy(f.memory, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          seen.push(args);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const service = new TokenService({
      tenants: (() => {
        const r = new TenantRegistry();
        r.add(f.tenant);
        return r;
      })(),
      store: spying,
      clock: f.clock,
      log: createLogger('silent'),
    });
    const second = await service.refresh({ tenantId: TENANT, refreshToken: first.refreshToken, claims: {} });
    await service.revokeToken(TENANT, second.refreshToken, CALLER);
    const serialised = JSON.stringify(seen);
    expect(serialised).not.toContain(first.refreshToken);
    expect(serialised).not.toContain(second.refreshToken);
  });
});

describe('TokenService revocation', () => {
  it('revokeUser revokes the user tokens issued before it', async () => {
    const before = await issue({ subject: 'user-1' });
    const otherUser = await issue({ subject: 'user-2' });
    await f.service.revokeUser(TENANT, 'user-1', CALLER);
    await domainError(refresh(before.refreshToken), 'refresh_token_revoked');
    await expect(refresh(otherUser.refreshToken)).resolves.toBeDefined();
    const after = await issue({ subject: 'user-1' });
    await expect(refresh(after.refreshToken)).resolves.toBeDefined();
  });

  it('revokeAudience revokes tokens naming any one of their audiences', async () => {
    const both = await issue({ audiences: ['api', 'admin'] });
    const other = await issue({ audiences: ['reports'] });
    await f.service.revokeAudience(TENANT, 'admin', CALLER);
    await domainError(refresh(both.refreshToken), 'refresh_token_revoked');
    await expect(refresh(other.refreshToken)).resolves.toBeDefined();
  });

  it('revokeUserAudience revokes only that user for that audience', async () => {
    const target = await issue({ subject: 'user-1', audiences: ['api'] });
    const otherAudience = await issue({ subject: 'user-1', audiences: ['admin'] });
    const otherUser = await issue({ subject: 'user-2', audiences: ['api'] });
    await f.service.revokeUserAudience(TENANT, 'user-1', 'api', CALLER);
    await domainError(refresh(target.refreshToken), 'refresh_token_revoked');
    await expect(refresh(otherAudience.refreshToken)).resolves.toBeDefined();
    await expect(refresh(otherUser.refreshToken)).resolves.toBeDefined();
  });

  it('revokeToken revokes the token and its family', async () => {
    const first = await issue();
    const second = await refresh(first.refreshToken);
    await f.service.revokeToken(TENANT, second.refreshToken, CALLER);
    await domainError(refresh(second.refreshToken), 'refresh_token_revoked');
  });

  it('revokeToken succeeds for unknown and already revoked tokens', async () => {
    await expect(f.service.revokeToken(TENANT, 'not-a-token', CALLER)).resolves.toBeUndefined();
    const pair = await issue();
    await f.service.revokeToken(TENANT, pair.refreshToken, CALLER);
    await expect(f.service.revokeToken(TENANT, pair.refreshToken, CALLER)).resolves.toBeUndefined();
  });

  it.each(['revokeToken', 'revokeUser', 'revokeAudience', 'revokeUserAudience'] as const)(
    '%s answers tenant_not_found for an unknown tenant before touching the store',
    async (method) => {
      f.calls.length = 0;
      const call =
        method === 'revokeUserAudience'
          ? f.service.revokeUserAudience('ghost', 'u', 'a', CALLER)
          : f.service[method]('ghost', 'x', CALLER);
      const err = await domainError(call, 'tenant_not_found');
      expect(err.message).toBe('tenant ghost not found');
      expect(f.calls).toEqual([]);
    },
  );

  it('audits revokeToken with the caller, scope and token reference, never the token', async () => {
    const pair = await issue();
    f.clock.advance(5_000);
    await f.service.revokeToken(TENANT, pair.refreshToken, CALLER);
    const records = await f.memory.recentAudit(TENANT, 10);
    expect(records).toEqual([
      {
        callerIdentity: 'svc-admin',
        tokenRef: tokenRef(pair.refreshToken),
        target: '',
        scope: 'token',
        occurredAt: f.clock.now(),
      },
    ]);
    expect(JSON.stringify(records)).not.toContain(pair.refreshToken);
  });

  it('audits revokeUser with the user as target', async () => {
    await f.service.revokeUser(TENANT, 'user-9', CALLER);
    expect(await f.memory.recentAudit(TENANT, 10)).toEqual([
      { callerIdentity: 'svc-admin', tokenRef: '', target: 'user-9', scope: 'user', occurredAt: f.clock.now() },
    ]);
  });

  it('audits revokeAudience with the audience as target', async () => {
    await f.service.revokeAudience(TENANT, 'api', { identity: 'other-caller' });
    expect(await f.memory.recentAudit(TENANT, 10)).toEqual([
      { callerIdentity: 'other-caller', tokenRef: '', target: 'api', scope: 'audience', occurredAt: f.clock.now() },
    ]);
  });

  it('audits revokeUserAudience with the user as target', async () => {
    await f.service.revokeUserAudience(TENANT, 'user-9', 'api', CALLER);
    const [record] = await f.memory.recentAudit(TENANT, 10);
    expect(record).toMatchObject({ callerIdentity: 'svc-admin', tokenRef: '', scope: 'user_audience', target: 'user-9' });
  });

  it('keeps audit records in order, newest last', async () => {
    await f.service.revokeUser(TENANT, 'first', CALLER);
    f.clock.advance(1);
    await f.service.revokeAudience(TENANT, 'second', CALLER);
    const records = await f.memory.recentAudit(TENANT, 10);
    expect(records.map((r) => r.target)).toEqual(['first', 'second']);
    expect(await f.memory.recentAudit(TENANT, 1)).toHaveLength(1);
  });
});

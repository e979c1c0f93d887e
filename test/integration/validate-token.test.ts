/**
 * ValidateToken through real gRPC and Redis: what an active token reports, every reason a
 * token is inactive (garbage, a wrong signature, `alg: none`, HS256 signed with the public
 * key, another tenant's key, expired, not yet valid, wrong issuer or audience, revoked,
 * missing service claims, DPoP-bound), and the requests that are errors (empty or
 * oversized token, unknown tenant, a caller not permitted for the tenant, Redis away).
 */
import { signWith } from '../support/jws.js';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { openWatch } from '../support/watch.js';

interface Validation {
  active: boolean;
  reason: string;
  sub: string;
  audiences: string[];
  issued_at: number;
  expires_at: number;
  jti: string;
  claims: Record<string, string>;
  dpop_jkt: string;
  api_key_id: string;
}

let t: TestApp;
let proxy: TcpProxy;
const other = uniquePrefix('validate-other');
/** Permitted to the test caller, but not served. */
const ghost = uniquePrefix('validate-ghost');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'te-validate-'));
  const tenantId = uniquePrefix('validate');
  const registry = join(dir, 'callers.yaml');
  writeFileSync(
    registry,
    `version: 1\ncallers:\n  - identity: test-caller\n    permitted_tenants: ["${tenantId}", "${other}", "${ghost}"]\n  - identity: other-caller\n    permitted_tenants: ["${other}"]\n`,
  );
  const tenants = join(dir, 'tenants.yaml');
  writeFileSync(tenants, `version: 1\ntenants:\n  - id: ${other}\n    issuer: https://other.example\n    audience: other-api\n`);
  const target = new URL(redisUrlForTests());
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  t = await startTestApp(
    {
      TOKEN_ENGINE_CALLER_REGISTRY_PATH: registry,
      TOKEN_ENGINE_TENANTS_PATH: tenants,
      TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    },
    tenantId,
  );
});
afterAll(async () => {
  await t.stop();
  await proxy.cut();
});

const issue = (request: object = {}) =>
  t.client.ok<WireTokenPair>('IssueToken', { sub: 'alice', tenant_id: t.tenantId, ...request });
const validate = (access_token: string, extra: object = {}) =>
  t.client.ok<Validation>('ValidateToken', { tenant_id: t.tenantId, access_token, ...extra });
const reasonOf = async (token: string, extra: object = {}) => {
  const r = await validate(token, extra);
  expect(r.active, `expected inactive, got ${JSON.stringify(r)}`).toBe(false);
  return r.reason;
};

/** A token signed with the tenant's own current key, with `claims` over the usual ones. */
async function forged(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = t.app.tenants.get(t.tenantId)?.keys.current();
  if (!key) throw new Error('the tenant has no key');
  const now = Math.floor(Date.now() / 1000);
  const base = {
    iss: t.tenantId,
    sub: 'mallory',
    aud: [t.audience],
    iat: now,
    nbf: now,
    exp: now + 900,
    jti: 'forged',
    sid: 'some-family',
    rsq: 10 ** 12,
  };
  const payload = Object.fromEntries(Object.entries({ ...base, ...claims }).filter(([, v]) => v !== undefined));
  return signWith(key, payload, { alg: key.alg, kid: key.kid, typ: 'JWT', ...header });
}

const b64 = (value: object | string): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('ValidateToken', () => {
  it('reports an active token: subject, audiences, times, jti and the custom claims only', async () => {
    const pair = await issue({ audiences: ['api', 'admin'], claims: { role: 'admin', plan: 'pro' } });
    const payload = decodeJwt(pair.access_token);
    expect(payload['sid']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Number.isSafeInteger(payload['rsq'])).toBe(true);
    expect(await validate(pair.access_token)).toEqual({
      active: true,
      reason: '',
      sub: 'alice',
      audiences: ['api', 'admin'],
      issued_at: payload.iat,
      expires_at: payload.exp,
      jti: payload.jti,
      claims: { role: 'admin', plan: 'pro' },
      dpop_jkt: '',
      api_key_id: '',
    });
  });

  it('checks the asked audience', async () => {
    const pair = await issue({ audiences: ['api', 'admin'] });
    expect((await validate(pair.access_token, { audience: 'admin' })).active).toBe(true);
    expect(await reasonOf(pair.access_token, { audience: 'billing' })).toBe('wrong_audience');
  });

  it('answers an inactive token with only its reason', async () => {
    expect(await validate('garbage')).toEqual({
      active: false,
      reason: 'malformed',
      sub: '',
      audiences: [],
      issued_at: 0,
      expires_at: 0,
      jti: '',
      claims: {},
      dpop_jkt: '',
      api_key_id: '',
    });
  });

  it.each([
    ['garbage', 'not-a-jwt'],
    ['three parts of garbage', 'a.b.c'],
    ['a JWE-shaped token', 'a.b.c.d.e'],
    ['a header that is not JSON', `${b64('nope')}.${b64({})}.sig`],
  ])('%s is malformed', async (_name, token) => {
    expect(await reasonOf(token)).toBe('malformed');
  });

  it('refuses a changed signature, alg none and HS256 signed with the public key: bad_signature', async () => {
    const pair = await issue();
    const [h, p, s] = pair.access_token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`}`;
    expect(await reasonOf(flipped)).toBe('bad_signature');
    const otherPayload = b64({ ...(decodeJwt(pair.access_token) as Record<string, unknown>), sub: 'mallory' });
    expect(await reasonOf(`${h}.${otherPayload}.${s}`)).toBe('bad_signature');

    const { kid } = decodeProtectedHeader(pair.access_token);
    const none = `${b64({ alg: 'none', kid, typ: 'JWT' })}.${p}.`;
    expect(await reasonOf(none)).toBe('bad_signature');

    const jwks = (await (await fetch(`${t.httpBase}/tenants/${t.tenantId}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const publicJwk = JSON.stringify(jwks.keys.find((k) => k['kid'] === kid));
    const hsHeader = b64({ alg: 'HS256', kid, typ: 'JWT' });
    const hmac = createHmac('sha256', publicJwk).update(`${hsHeader}.${p}`).digest('base64url');
    expect(await reasonOf(`${hsHeader}.${p}.${hmac}`)).toBe('bad_signature');
  });

  it("refuses another tenant's key, and a kid that is not published: unknown_key", async () => {
    const theirs = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'alice', tenant_id: other });
    expect(await reasonOf(theirs.access_token)).toBe('unknown_key');
    // The same token is active for its own tenant.
    expect((await t.client.ok<Validation>('ValidateToken', { tenant_id: other, access_token: theirs.access_token })).active).toBe(
      true,
    );
    expect(await reasonOf(await forged({}, { kid: 'no-such-kid' }))).toBe('unknown_key');
  });

  it('checks the times with a 60 s leeway: expired, not_yet_valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reasonOf(await forged({ iat: now - 1000, nbf: now - 1000, exp: now - 61 }))).toBe('expired');
    expect((await validate(await forged({ iat: now - 1000, nbf: now - 1000, exp: now - 30 }))).reason).not.toBe('expired');
    expect(await reasonOf(await forged({ iat: now + 120, nbf: now + 120, exp: now + 1000 }))).toBe('not_yet_valid');
  });

  it('checks the issuer, and refuses tokens without the service claims: wrong_issuer, malformed', async () => {
    expect(await reasonOf(await forged({ iss: 'https://elsewhere.example' }))).toBe('wrong_issuer');
    for (const missing of ['sid', 'rsq', 'jti', 'sub', 'exp']) {
      expect(await reasonOf(await forged({ [missing]: undefined })), missing).toBe('malformed');
    }
    expect(await reasonOf(await forged({ rsq: 'seven' }))).toBe('malformed');
    expect(await reasonOf(await forged({ rsq: 0 }))).toBe('malformed');
    expect(await reasonOf(await forged({ cnf: 'not-an-object' }))).toBe('malformed');
  });

  it('a DPoP-bound token needs a proof, and a malformed one is refused: dpop_required, dpop_invalid', async () => {
    const bound = await forged({ cnf: { jkt: 'thumbprint' } });
    expect(await reasonOf(bound)).toBe('dpop_required');
    const dpop = { proof: 'eyJ.proof.sig', htm: 'GET', htu: 'https://api.example/x' };
    expect(await reasonOf(bound, { dpop })).toBe('dpop_invalid');
  });

  it('a revoked token is revoked; a token of a revoked family too', async () => {
    const pair = await issue({ sub: 'revoked-user' });
    await t.client.ok('RevokeToken', { tenant_id: t.tenantId, refresh_token: pair.refresh_token });
    expect(await reasonOf(pair.access_token)).toBe('revoked');
  });

  it.each([
    ['an empty token', { access_token: '' }, 'access_token must not be empty'],
    ['a token over 16 KiB', { access_token: 'a'.repeat(16 * 1024 + 1) }, 'access_token must be at most 16384 bytes'],
    ['a blank audience', { access_token: 'x', audience: ' ' }, 'audience must not be blank'],
    ['an empty DPoP proof', { access_token: 'x', dpop: { proof: '', htm: '', htu: '' } }, 'dpop.proof must not be empty'],
    ['an empty tenant', { access_token: 'x', tenant_id: '' }, 'tenant_id must not be empty'],
  ])('%s is INVALID_ARGUMENT naming the field', async (_name, request, message) => {
    const r = await t.client.call('ValidateToken', { tenant_id: t.tenantId, ...request });
    expect(r.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(r.error?.details).toBe(message);
  });

  it('a token of exactly 16 KiB is looked at (and malformed)', async () => {
    expect(await reasonOf('a'.repeat(16 * 1024))).toBe('malformed');
  });

  it('an unknown tenant is NOT_FOUND; a caller not permitted for the tenant is PERMISSION_DENIED', async () => {
    const unknown = await t.client.call('ValidateToken', { tenant_id: ghost, access_token: 'x' });
    expect(unknown.error?.code).toBe(status.NOT_FOUND);
    expect(unknown.error?.details).toBe(`tenant ${ghost} not found`);
    const md = new Metadata();
    md.set('x-api-key', 'other-key');
    const denied = await t.client.call('ValidateToken', { tenant_id: t.tenantId, access_token: 'x' }, md);
    expect(denied.error?.code).toBe(status.PERMISSION_DENIED);
    expect(denied.error?.details).toBe('caller not authorized');
    // Streams too: the revocations of a tenant are not the business of a caller it does not permit.
    const stream = openWatch(t.client, { tenant_id: t.tenantId }, { metadata: md });
    expect(await stream.ended).toMatchObject({ code: status.PERMISSION_DENIED, details: 'caller not authorized' });
    expect(stream.events).toEqual([]);
    const ghostStream = openWatch(t.client, { tenant_id: ghost });
    expect(await ghostStream.ended).toMatchObject({ code: status.NOT_FOUND, details: `tenant ${ghost} not found` });
  });

  it('is UNAVAILABLE with Redis away (never INTERNAL, never active), and answers again when it is back', async () => {
    const pair = await issue();
    const garbage = 'not-a-jwt';
    await proxy.cut();
    try {
      const during = await t.client.call('ValidateToken', { tenant_id: t.tenantId, access_token: pair.access_token });
      expect(during.error?.code).toBe(status.UNAVAILABLE);
      // A token refused before any store access needs no store.
      expect((await validate(garbage)).reason).toBe('malformed');
    } finally {
      await proxy.restore();
    }
    let back: Validation | undefined;
    for (let i = 0; i < 50 && !back; i++) {
      const r = await t.client.call<Validation>('ValidateToken', { tenant_id: t.tenantId, access_token: pair.access_token });
      if (r.response) back = r.response;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(back?.active).toBe(true);
  });

  it('counts validations by result and reason, with no token text in the metrics', async () => {
    const pair = await issue();
    await validate(pair.access_token);
    await reasonOf('garbage');
    const text = await (await fetch(`${t.httpBase}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(
        `token_engine_token_validations_total\\{tenant_id="${t.tenantId}",via="validate_token",result="active",reason="none"\\} \\d+`,
      ),
    );
    expect(text).toMatch(/token_engine_token_validations_total\{[^}]*result="inactive",reason="malformed"\} \d+/);
    expect(text).not.toContain(pair.access_token.split('.')[2] ?? 'x');
  });
});

/**
 * Envoy's external authorization (TOKEN_ENGINE_EXT_AUTHZ=true) through a gRPC client built
 * from the vendored Envoy protos, the way Envoy calls it: allowed with identity headers;
 * denied 401 for a revoked, expired, wrong-audience, garbage or missing token; the tenant
 * and audience from the route's context extensions; UNAVAILABLE (never allow) with Redis
 * away; off by default.
 */
import { signWith } from '../support/jws.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationClient, type CheckResponse, envoyClient } from '../support/envoy.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

let t: TestApp;
let proxy: TcpProxy;
let envoy: AuthorizationClient;
const second = uniquePrefix('authz-second');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'te-authz-'));
  const tenants = join(dir, 'tenants.yaml');
  writeFileSync(
    tenants,
    `version: 1\ntenants:\n  - id: ${second}\n    issuer: https://second.example\n    audience: second-api\n`,
  );
  const target = new URL(redisUrlForTests());
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  t = await startTestApp({
    TOKEN_ENGINE_EXT_AUTHZ: 'true',
    TOKEN_ENGINE_TENANTS_PATH: tenants,
    TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
  });
  envoy = envoyClient(t.grpcAddress);
});
afterAll(async () => {
  envoy.close();
  await t.stop();
  await proxy.cut();
});

const withKey = (): Metadata => {
  const md = new Metadata();
  md.set('x-api-key', TEST_API_KEY);
  return md;
};

/** Envoy's CheckRequest for an HTTP request with these headers and route context extensions. */
function request(headers: Record<string, string>, extensions: Record<string, string> = {}): object {
  return {
    attributes: {
      source: { principal: 'spiffe://cluster.local/ns/web/sa/frontend' },
      request: {
        http: {
          id: 'req-1',
          method: 'GET',
          headers: { ':path': '/orders', ...headers },
          path: '/orders?x=1',
          host: 'api.example',
          scheme: 'https',
        },
      },
      context_extensions: extensions,
    },
  };
}

const check = (req: object, md = withKey()) =>
  new Promise<{ response?: CheckResponse; error?: ServiceError }>((resolve) =>
    envoy.Check(req, md, (error, response) => resolve(error ? { error } : { response })),
  );

async function allowed(req: object): Promise<{ headers: Record<string, string>; removed: string[] }> {
  const { response, error } = await check(req);
  expect(error).toBeUndefined();
  expect(response?.status?.code).toBe(0);
  expect(response?.http_response).toBe('ok_response');
  for (const h of response?.ok_response?.headers ?? []) {
    expect(h.append_action).toBe('OVERWRITE_IF_EXISTS_OR_ADD');
    expect(h.append?.value).toBe(false);
  }
  return {
    headers: Object.fromEntries((response?.ok_response?.headers ?? []).map((h) => [h.header.key, h.header.value])),
    removed: response?.ok_response?.headers_to_remove ?? [],
  };
}

async function denied(req: object): Promise<{ wwwAuthenticate: string | undefined; body: Record<string, string> }> {
  const { response, error } = await check(req);
  expect(error).toBeUndefined();
  expect(response?.status?.code).toBe(status.UNAUTHENTICATED);
  expect(response?.http_response).toBe('denied_response');
  expect(response?.denied_response?.status.code).toBe('Unauthorized');
  const headers = Object.fromEntries((response?.denied_response?.headers ?? []).map((h) => [h.header.key, h.header.value]));
  expect(headers['content-type']).toBe('application/json');
  return { wwwAuthenticate: headers['www-authenticate'], body: JSON.parse(response?.denied_response?.body ?? '{}') };
}

const issue = (request: object, tenantId = t.tenantId) =>
  t.client.ok<WireTokenPair>('IssueToken', { tenant_id: tenantId, sub: 'alice', ...request });

describe('envoy.service.auth.v3.Authorization/Check', () => {
  it('allows a valid token with the identity headers, and keeps authorization unless told to strip it', async () => {
    const pair = await issue({ audiences: ['orders', 'billing'] });
    const payload = JSON.parse(Buffer.from(pair.access_token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string };
    const ok = await allowed(request({ authorization: `Bearer ${pair.access_token}` }));
    expect(ok.headers).toEqual({
      'x-token-sub': 'alice',
      'x-token-tenant': t.tenantId,
      'x-token-jti': payload.jti,
      'x-token-aud': 'orders,billing',
    });
    expect(ok.removed).toEqual([]);
    const stripped = await allowed(request({ authorization: `bearer ${pair.access_token}` }, { strip_authorization: 'true' }));
    expect(stripped.removed).toEqual(['authorization']);
  });

  it('takes the tenant from the route (context_extensions.tenant_id), else the default tenant', async () => {
    const theirs = await issue({}, second);
    expect(
      (await allowed(request({ authorization: `Bearer ${theirs.access_token}` }, { tenant_id: second }))).headers[
        'x-token-tenant'
      ],
    ).toBe(second);
    // Checked against the default tenant, the other tenant's token has an unknown key.
    expect((await denied(request({ authorization: `Bearer ${theirs.access_token}` }))).body).toEqual({
      error: 'invalid_token',
      reason: 'unknown_key',
    });
    const unknown = await check(request({ authorization: `Bearer ${theirs.access_token}` }, { tenant_id: 'no-such-tenant' }));
    expect(unknown.error?.code).toBe(status.NOT_FOUND);
  });

  it('checks the audience the route requires (context_extensions.audience)', async () => {
    const pair = await issue({ audiences: ['orders'] });
    await allowed(request({ authorization: `Bearer ${pair.access_token}` }, { audience: 'orders' }));
    expect(await denied(request({ authorization: `Bearer ${pair.access_token}` }, { audience: 'admin' }))).toEqual({
      wwwAuthenticate: 'Bearer error="invalid_token"',
      body: { error: 'invalid_token', reason: 'wrong_audience' },
    });
  });

  it('denies a revoked token at once', async () => {
    const sub = uniquePrefix('authz-user');
    const pair = await issue({ sub });
    await allowed(request({ authorization: `Bearer ${pair.access_token}` }));
    await t.client.ok('RevokeAllUserTokens', { tenant_id: t.tenantId, user_id: sub });
    expect((await denied(request({ authorization: `Bearer ${pair.access_token}` }))).body).toEqual({
      error: 'invalid_token',
      reason: 'revoked',
    });
  });

  it('denies an expired token', async () => {
    const key = t.app.tenants.get(t.tenantId)?.keys.current();
    if (!key) throw new Error('no key');
    const now = Math.floor(Date.now() / 1000);
    const expired = await signWith(
      key,
      {
        iss: t.tenantId,
        sub: 'alice',
        aud: ['api'],
        iat: now - 3600,
        nbf: now - 3600,
        exp: now - 120,
        jti: 'old',
        sid: 'family',
        rsq: 1,
      },
      { alg: key.alg, kid: key.kid, typ: 'JWT' },
    );
    expect((await denied(request({ authorization: `Bearer ${expired}` }))).body.reason).toBe('expired');
  });

  it('denies a request without a token with a 401 that names no error', async () => {
    expect(await denied(request({}))).toEqual({ wwwAuthenticate: 'Bearer', body: { reason: 'missing_token' } });
    expect((await denied(request({ authorization: 'Basic YWxpY2U6c2VjcmV0' }))).wwwAuthenticate).toBe('Bearer');
    expect((await denied(request({ authorization: 'Bearer' }))).body.reason).toBe('missing_token');
  });

  it('denies garbage and oversized tokens as malformed; a DPoP-scheme token is answered in kind', async () => {
    expect((await denied(request({ authorization: 'Bearer not-a-jwt' }))).body.reason).toBe('malformed');
    expect((await denied(request({ authorization: `Bearer ${'a'.repeat(17 * 1024)}` }))).body.reason).toBe('malformed');
    expect((await denied(request({ authorization: 'DPoP not-a-jwt', dpop: 'proof' }))).wwwAuthenticate).toBe(
      'DPoP error="invalid_token"',
    );
  });

  it('percent-encodes identity values that are not printable ASCII', async () => {
    const pair = await issue({ sub: 'zoë\nx-admin: true' });
    const ok = await allowed(request({ authorization: `Bearer ${pair.access_token}` }));
    expect(ok.headers['x-token-sub']).toBe(encodeURIComponent('zoë\nx-admin: true'));
  });

  it('needs the caller’s credentials like any RPC', async () => {
    const anonymous = await check(request({}), new Metadata());
    expect(anonymous.error?.code).toBe(status.UNAUTHENTICATED);
  });

  it('fails UNAVAILABLE with Redis away, never allowing', async () => {
    const pair = await issue({});
    await proxy.cut();
    try {
      const during = await check(request({ authorization: `Bearer ${pair.access_token}` }));
      expect(during.response).toBeUndefined();
      expect(during.error?.code).toBe(status.UNAVAILABLE);
    } finally {
      await proxy.restore();
    }
    let back: CheckResponse | undefined;
    for (let i = 0; i < 50 && !back; i++) {
      const r = await check(request({ authorization: `Bearer ${pair.access_token}` }));
      if (r.response) back = r.response;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(back?.status?.code).toBe(0);
  });

  it('is not served unless TOKEN_ENGINE_EXT_AUTHZ is on', async () => {
    const off = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' });
    const client = envoyClient(off.grpcAddress);
    try {
      const r = await new Promise<ServiceError | null>((resolve) => client.Check(request({}), withKey(), (err) => resolve(err)));
      expect(r?.code).toBe(status.UNIMPLEMENTED);
    } finally {
      client.close();
      await off.stop();
    }
  });
});

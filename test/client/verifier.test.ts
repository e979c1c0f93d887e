/**
 * The local verifier (`createVerifier` of token-engine/client) against a started service:
 * tokens verified with no call to the service, every kind of revocation applied from the
 * stream within a second, bad tokens refused with their reason, a new signing key picked
 * up from the JWKS, and failing closed once the stream has been cut longer than the
 * staleness bound (or asking ValidateToken with `fallback: 'validate'`).
 */
import { signWith } from '../support/jws.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  createVerifier,
  type TokenEngineClient,
  type TokenVerifier,
  type VerifyResult,
} from '../../client/index.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const jwksUrl = (t: TestApp): string => `${t.httpBase}/tenants/${encodeURIComponent(t.tenantId)}/.well-known/jwks.json`;

/** Polls `verify` until it refuses the token; resolves with how long that took. */
async function refusedWithin(
  verifier: TokenVerifier,
  token: string,
  limitMs: number,
): Promise<{ ms: number; result: VerifyResult }> {
  const started = Date.now();
  for (;;) {
    const result = await verifier.verify(token);
    const ms = Date.now() - started;
    if (!result.active || ms > limitMs) return { ms, result };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createVerifier against a started service', () => {
  let t: TestApp;
  let client: TokenEngineClient;
  let verifier: TokenVerifier;
  const latencies: number[] = [];

  beforeAll(async () => {
    t = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' });
    client = createClient({ address: t.grpcAddress, apiKey: TEST_API_KEY });
    verifier = createVerifier({ address: t.grpcAddress, apiKey: TEST_API_KEY, tenant: t.tenantId, jwksUrl: jwksUrl(t) });
  });
  afterAll(async () => {
    process.stderr.write(`[verifier] revoked upstream → refused locally, ms: ${JSON.stringify(latencies)}\n`);
    verifier.close();
    client.close();
    await t.stop();
  });

  it('fails closed until it is ready, then verifies tokens locally', async () => {
    const pair = await client.issueToken({ tenantId: t.tenantId, sub: 'early', claims: { role: 'reader' } });
    const fresh = createVerifier({ address: t.grpcAddress, apiKey: TEST_API_KEY, tenant: t.tenantId, jwksUrl: jwksUrl(t) });
    try {
      expect(await fresh.verify(pair.accessToken)).toEqual({ active: false, reason: 'stale' });
      await fresh.ready();
      const result = await fresh.verify(pair.accessToken);
      expect(result).toMatchObject({ active: true, sub: 'early', audiences: [t.audience] });
      if (result.active) expect(result.payload['role']).toBe('reader');
      expect(fresh.status()).toMatchObject({ connected: true, stale: false });
    } finally {
      fresh.close();
    }
  });

  it.each([
    ['RevokeAllUserTokens', 'user'],
    ['RevokeAllForAudience', 'audience'],
    ['RevokeAllForUserAndAudience', 'user_audience'],
    ['RevokeToken', 'family'],
    ['reuse detection', 'family'],
  ])('%s upstream is refused locally within 1 s; a token issued after is active', async (how) => {
    await verifier.ready();
    const sub = uniquePrefix('verified');
    const audience = uniquePrefix('aud');
    const pair = await client.issueToken({ tenantId: t.tenantId, sub, audiences: [audience] });
    expect((await verifier.verify(pair.accessToken)).active).toBe(true);
    switch (how) {
      case 'RevokeAllUserTokens':
        await client.revokeAllUserTokens({ tenantId: t.tenantId, userId: sub });
        break;
      case 'RevokeAllForAudience':
        await client.revokeAllForAudience({ tenantId: t.tenantId, audience });
        break;
      case 'RevokeAllForUserAndAudience':
        await client.revokeAllForUserAndAudience({ tenantId: t.tenantId, userId: sub, audience });
        break;
      case 'RevokeToken':
        await client.revokeToken({ tenantId: t.tenantId, refreshToken: pair.refreshToken });
        break;
      default: {
        await client.refreshToken({ tenantId: t.tenantId, refreshToken: pair.refreshToken });
        await client.refreshToken({ tenantId: t.tenantId, refreshToken: pair.refreshToken }).catch(() => undefined);
      }
    }
    const { ms, result } = await refusedWithin(verifier, pair.accessToken, 1_000);
    latencies.push(ms);
    expect(result).toEqual({ active: false, reason: 'revoked' });
    expect(ms).toBeLessThanOrEqual(1_000);
    const after = await client.issueToken({ tenantId: t.tenantId, sub, audiences: [audience] });
    expect((await verifier.verify(after.accessToken)).active).toBe(true);
  });

  it('refuses bad tokens with their reason, and checks audience and issuer when asked', async () => {
    await verifier.ready();
    const pair = await client.issueToken({ tenantId: t.tenantId, sub: 'bob', audiences: ['orders'] });
    const [h, p, s] = pair.accessToken.split('.') as [string, string, string];
    expect(await verifier.verify('garbage')).toEqual({ active: false, reason: 'malformed' });
    expect(await verifier.verify('')).toEqual({ active: false, reason: 'malformed' });
    expect(await verifier.verify(`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`)).toEqual({
      active: false,
      reason: 'bad_signature',
    });
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string };
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: header.kid })).toString('base64url')}.${p}.`;
    expect((await verifier.verify(none)).active).toBe(false);

    const key = t.app.tenants.get(t.tenantId)?.keys.current();
    if (!key) throw new Error('no key');
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      signWith(
        key,
        { iss: t.tenantId, sub: 'x', aud: ['orders'], iat: now, nbf: now, exp: now + 60, sid: 's', rsq: 1, ...claims },
        { alg: key.alg, kid: key.kid },
      );
    expect(await verifier.verify(await sign({ iat: now - 900, nbf: now - 900, exp: now - 61 }))).toEqual({
      active: false,
      reason: 'expired',
    });
    expect(await verifier.verify(await sign({ rsq: undefined }))).toEqual({ active: false, reason: 'malformed' });
    expect(await verifier.verify(await sign({ cnf: { jkt: 'x' } }))).toEqual({ active: false, reason: 'dpop_required' });

    const strict = createVerifier({
      address: t.grpcAddress,
      apiKey: TEST_API_KEY,
      tenant: t.tenantId,
      jwksUrl: jwksUrl(t),
      audience: 'billing',
      issuer: 'https://elsewhere.example',
    });
    try {
      await strict.ready();
      expect((await strict.verify(pair.accessToken)).active).toBe(false);
    } finally {
      strict.close();
    }
  });

  it('picks up a new signing key from the JWKS on an unknown kid', async () => {
    await verifier.ready();
    await t.app.rotateKeys(t.tenantId, false);
    const pair = await client.issueToken({ tenantId: t.tenantId, sub: 'after-rotation' });
    expect(await verifier.verify(pair.accessToken)).toMatchObject({ active: true, sub: 'after-rotation' });
  });
});

describe('createVerifier when its stream is cut', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let client: TokenEngineClient;
  beforeAll(async () => {
    t = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, uniquePrefix('verifier-cut'));
    const [host, port] = t.grpcAddress.split(':') as [string, string];
    proxy = new TcpProxy(host, Number(port));
    await proxy.start();
    client = createClient({ address: t.grpcAddress, apiKey: TEST_API_KEY });
  });
  afterAll(async () => {
    client.close();
    await proxy.cut();
    await t.stop();
  });

  it('keeps answering within the staleness bound, fails closed past it, and catches up when the stream is back', async () => {
    const verifier = createVerifier({
      address: `127.0.0.1:${proxy.port}`,
      apiKey: TEST_API_KEY,
      tenant: t.tenantId,
      jwksUrl: jwksUrl(t),
      stalenessMs: 2_000,
    });
    try {
      await verifier.ready();
      const pair = await client.issueToken({ tenantId: t.tenantId, sub: 'carol' });
      expect((await verifier.verify(pair.accessToken)).active).toBe(true);

      await proxy.cut();
      const cutAt = Date.now();
      await waitFor(() => !verifier.status().connected, 5_000);
      // Down, but within the bound: the state it has is still trusted.
      expect((await verifier.verify(pair.accessToken)).active).toBe(true);
      await waitFor(async () => !(await verifier.verify(pair.accessToken)).active, 6_000);
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(2_000);
      expect(await verifier.verify(pair.accessToken)).toEqual({ active: false, reason: 'stale' });

      // Revoked while the stream is down: learnt from the backlog once it resumes.
      await client.revokeAllUserTokens({ tenantId: t.tenantId, userId: 'carol' });
      const other = await client.issueToken({ tenantId: t.tenantId, sub: 'dave' });
      await proxy.restore();
      await waitFor(() => verifier.status().connected, 10_000);
      expect(await verifier.verify(pair.accessToken)).toEqual({ active: false, reason: 'revoked' });
      expect((await verifier.verify(other.accessToken)).active).toBe(true);
    } finally {
      verifier.close();
    }
  }, 30_000);

  it("with fallback: 'validate', asks ValidateToken while the stream is down", async () => {
    const app = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, uniquePrefix('verifier-fallback'));
    const verifier = createVerifier({
      address: app.grpcAddress,
      apiKey: TEST_API_KEY,
      tenant: app.tenantId,
      jwksUrl: jwksUrl(app),
      stalenessMs: 200,
      fallback: 'validate',
    });
    const local = createClient({ address: app.grpcAddress, apiKey: TEST_API_KEY });
    try {
      await verifier.ready();
      const kept = await local.issueToken({ tenantId: app.tenantId, sub: 'erin' });
      const revoked = await local.issueToken({ tenantId: app.tenantId, sub: 'frank' });
      // This replica stops serving streams (as it does when shutting down); unary calls go on.
      app.app.feed.close();
      await waitFor(() => verifier.status().stale, 5_000);
      await local.revokeAllUserTokens({ tenantId: app.tenantId, userId: 'frank' });
      expect(await verifier.verify(kept.accessToken)).toMatchObject({ active: true, sub: 'erin' });
      expect(await verifier.verify(revoked.accessToken)).toEqual({ active: false, reason: 'revoked' });
    } finally {
      verifier.close();
      local.close();
      await app.stop();
    }
  });
});

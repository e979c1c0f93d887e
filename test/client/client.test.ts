import { createServer } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createClient,
  isTokenEngineError,
  Status,
  TokenEngineError,
  type RetryEvent,
  type TokenEngineClient,
  type TokenPair,
} from '../../client/index.js';
import { startMtlsTestApp, startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import type { TestPki } from '../support/certs.js';
import { uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** The rejection of `promise`, which must be a TokenEngineError. */
async function failure(promise: Promise<unknown>): Promise<TokenEngineError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof TokenEngineError)) throw new Error(`expected a TokenEngineError, got ${String(err)}`);
  return err;
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no port');
  return address.port;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the client against a started service with API keys', () => {
  let t: TestApp;
  let client: TokenEngineClient;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestApp();
    tenantId = t.tenantId;
    client = createClient({ address: t.grpcAddress, apiKey: TEST_API_KEY });
  });
  afterAll(async () => {
    client.close();
    await t.stop();
  });

  it('has request and response types in camelCase', () => {
    expectTypeOf<TokenPair>().toEqualTypeOf<{
      readonly accessToken: string;
      readonly refreshToken: string;
      readonly accessTokenExpiresIn: number;
      readonly refreshTokenExpiresIn: number;
    }>();
    expectTypeOf(client.issueToken).parameter(0).toHaveProperty('tenantId');
    expectTypeOf(client.revokeAllForUserAndAudience).parameter(0).toHaveProperty('userId');
    // @ts-expect-error an API key and client certificates are exclusive
    expect(() => createClient({ address: t.grpcAddress, apiKey: 'k', tls: { cert: '', key: '', ca: '' } })).toThrow(TypeError);
  });

  it('issues a pair with audiences and claims', async () => {
    const pair = await client.issueToken({ tenantId, sub: 'alice', audiences: ['a1', 'a2'], claims: { role: 'reader' } });
    expect(Object.keys(pair).sort()).toEqual(['accessToken', 'accessTokenExpiresIn', 'refreshToken', 'refreshTokenExpiresIn']);
    expect(pair.refreshToken).toHaveLength(43);
    expect([899, 900]).toContain(pair.accessTokenExpiresIn);
    expect(pair.refreshTokenExpiresIn).toBeGreaterThan(29 * 24 * 3600);
    expect(decodeJwt(pair.accessToken)).toMatchObject({ iss: tenantId, sub: 'alice', aud: ['a1', 'a2'], role: 'reader' });
  });

  it('issues for the default audience when none is given', async () => {
    const pair = await client.issueToken({ tenantId, sub: 'alice' });
    expect(decodeJwt(pair.accessToken).aud).toEqual([t.audience]);
  });

  it('refreshes with rotation, keeping stored claims unless new ones are given', async () => {
    const issued = await client.issueToken({ tenantId, sub: 'bob', claims: { role: 'reader' } });
    const kept = await client.refreshToken({ tenantId, refreshToken: issued.refreshToken });
    expect(kept.refreshToken).not.toBe(issued.refreshToken);
    expect(decodeJwt(kept.accessToken)).toMatchObject({ sub: 'bob', role: 'reader' });
    const changed = await client.refreshToken({ tenantId, refreshToken: kept.refreshToken, claims: { role: 'writer' } });
    expect(decodeJwt(changed.accessToken)).toMatchObject({ sub: 'bob', role: 'writer' });
  });

  it('revokes one refresh token', async () => {
    const pair = await client.issueToken({ tenantId, sub: 'carol' });
    await expect(client.revokeToken({ tenantId, refreshToken: pair.refreshToken })).resolves.toBeUndefined();
    expect((await failure(client.refreshToken({ tenantId, refreshToken: pair.refreshToken }))).code).toBe(
      Status.PERMISSION_DENIED,
    );
  });

  it('treats revoking an unknown token as success (RFC 7009)', async () => {
    await expect(client.revokeToken({ tenantId, refreshToken: 'never-issued-token' })).resolves.toBeUndefined();
  });

  it('revokes every token issued for an audience', async () => {
    const pair = await client.issueToken({ tenantId, sub: 'dave', audiences: ['aud-x', 'aud-y'] });
    await client.revokeAllForAudience({ tenantId, audience: 'aud-y' });
    expect((await failure(client.refreshToken({ tenantId, refreshToken: pair.refreshToken }))).code).toBe(
      Status.PERMISSION_DENIED,
    );
  });

  it('revokes every token of a user', async () => {
    const first = await client.issueToken({ tenantId, sub: 'erin' });
    const second = await client.issueToken({ tenantId, sub: 'erin', audiences: ['shop'] });
    await client.revokeAllUserTokens({ tenantId, userId: 'erin' });
    for (const pair of [first, second]) {
      expect((await failure(client.refreshToken({ tenantId, refreshToken: pair.refreshToken }))).code).toBe(
        Status.PERMISSION_DENIED,
      );
    }
  });

  it("revokes a user's tokens for one audience and leaves the others", async () => {
    const shop = await client.issueToken({ tenantId, sub: 'frank', audiences: ['shop'] });
    const blog = await client.issueToken({ tenantId, sub: 'frank', audiences: ['blog'] });
    await client.revokeAllForUserAndAudience({ tenantId, userId: 'frank', audience: 'shop' });
    expect((await failure(client.refreshToken({ tenantId, refreshToken: shop.refreshToken }))).code).toBe(
      Status.PERMISSION_DENIED,
    );
    await expect(client.refreshToken({ tenantId, refreshToken: blog.refreshToken })).resolves.toMatchObject({
      accessToken: expect.any(String),
    });
  });

  it('validateToken answers active with the camelCase content, or inactive with only the reason', async () => {
    const pair = await client.issueToken({ tenantId, sub: 'gail', audiences: ['shop'], claims: { role: 'buyer' } });
    const payload = decodeJwt(pair.accessToken);
    expect(await client.validateToken({ tenantId, accessToken: pair.accessToken })).toEqual({
      active: true,
      sub: 'gail',
      audiences: ['shop'],
      issuedAt: payload.iat,
      expiresAt: payload.exp,
      jti: payload.jti,
      claims: { role: 'buyer' },
      dpopJkt: '',
      apiKeyId: '',
    });
    expect(await client.validateToken({ tenantId, accessToken: pair.accessToken, audience: 'blog' })).toEqual({
      active: false,
      reason: 'wrong_audience',
    });
    expect((await failure(client.validateToken({ tenantId, accessToken: '' }))).code).toBe(Status.INVALID_ARGUMENT);
  });

  it('watchRevocations iterates the backlog, a heartbeat, then live events; breaking out ends the stream', async () => {
    const stream = uniquePrefix('stream');
    const app = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, stream);
    const local = createClient({ address: app.grpcAddress, apiKey: TEST_API_KEY });
    try {
      await local.revokeAllUserTokens({ tenantId: stream, userId: 'before' });
      const seen: string[] = [];
      for await (const event of local.watchRevocations({ tenantId: stream })) {
        seen.push(`${event.scope}:${event.userId}`);
        if (event.scope === 'heartbeat') await local.revokeAllUserTokens({ tenantId: stream, userId: 'after' });
        if (event.userId === 'after') {
          expect(event).toMatchObject({ scope: 'user', watermark: 0, cursor: expect.stringMatching(/^\d+-\d+$/) });
          break;
        }
      }
      expect(seen).toEqual(['user:before', 'heartbeat:', 'user:after']);
      await expect.poll(() => app.app.feed.streams).toBe(0);
      const unknown = local.watchRevocations({ tenantId: stream, after: '1-0' });
      const err = await failure(unknown.next());
      expect(err).toMatchObject({ code: Status.FAILED_PRECONDITION, method: 'WatchRevocations' });
    } finally {
      local.close();
      await app.stop();
    }
  });

  describe('typed errors', () => {
    it('INVALID_ARGUMENT names the field', async () => {
      const err = await failure(client.issueToken({ tenantId, sub: '' }));
      expect(err).toBeInstanceOf(Error);
      expect(err).toMatchObject({
        name: 'TokenEngineError',
        code: Status.INVALID_ARGUMENT,
        codeName: 'INVALID_ARGUMENT',
        method: 'IssueToken',
        attempts: 1,
      });
      expect(err.message).toContain('sub');
      const reserved = await failure(client.issueToken({ tenantId, sub: 'u', claims: { iss: 'me' } }));
      expect(reserved.codeName).toBe('INVALID_ARGUMENT');
      expect(reserved.message).toContain('"iss"');
    });

    it('UNAUTHENTICATED for a wrong or missing API key', async () => {
      const wrong = createClient({ address: t.grpcAddress, apiKey: 'not-a-key' });
      const keyless = createClient({ address: t.grpcAddress });
      try {
        const err = await failure(wrong.issueToken({ tenantId, sub: 'u' }));
        expect(err).toMatchObject({
          code: Status.UNAUTHENTICATED,
          codeName: 'UNAUTHENTICATED',
          message: 'invalid or missing api key',
        });
        expect((await failure(keyless.revokeToken({ tenantId, refreshToken: 'x' }))).code).toBe(Status.UNAUTHENTICATED);
      } finally {
        wrong.close();
        keyless.close();
      }
    });

    it('NOT_FOUND for an unknown tenant and for an unknown refresh token', async () => {
      const tenant = await failure(client.issueToken({ tenantId: 'no-such-tenant', sub: 'u' }));
      expect(tenant).toMatchObject({ code: Status.NOT_FOUND, codeName: 'NOT_FOUND', message: 'tenant no-such-tenant not found' });
      const token = await failure(client.refreshToken({ tenantId, refreshToken: 'A'.repeat(43) }));
      expect(token.codeName).toBe('NOT_FOUND');
    });

    it('PERMISSION_DENIED when a rotated refresh token is presented again', async () => {
      const pair = await client.issueToken({ tenantId, sub: 'gina' });
      await client.refreshToken({ tenantId, refreshToken: pair.refreshToken });
      const err = await failure(client.refreshToken({ tenantId, refreshToken: pair.refreshToken }));
      expect(err).toMatchObject({ code: Status.PERMISSION_DENIED, codeName: 'PERMISSION_DENIED', attempts: 1 });
      expect(isTokenEngineError(err, Status.PERMISSION_DENIED)).toBe(true);
      expect(isTokenEngineError(err, Status.NOT_FOUND)).toBe(false);
    });

    it('FAILED_PRECONDITION when an idempotency key is reused for different content', async () => {
      const idempotencyKey = uniquePrefix('key');
      await client.issueToken({ tenantId, sub: 'hank' }, { idempotencyKey });
      const err = await failure(client.issueToken({ tenantId, sub: 'someone-else' }, { idempotencyKey }));
      expect(err).toMatchObject({ code: Status.FAILED_PRECONDITION, codeName: 'FAILED_PRECONDITION' });
    });

    it('ABORTED while a request with the same idempotency key is still in progress', async () => {
      // Concurrent duplicates: the first claims the key, the others find it pending. A
      // duplicate that arrives after the first finished is a replay instead, so try a few rounds.
      let aborted: TokenEngineError | undefined;
      for (let round = 0; round < 5 && !aborted; round += 1) {
        const idempotencyKey = uniquePrefix('race');
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, () => client.issueToken({ tenantId, sub: 'ivy' }, { idempotencyKey })),
        );
        const pairs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(TokenEngineError);
            expect((r.reason as TokenEngineError).codeName).toBe('ABORTED');
            aborted = r.reason as TokenEngineError;
          }
        }
        expect(new Set(pairs.map((p) => p.refreshToken)).size).toBeLessThanOrEqual(1);
      }
      expect(aborted?.code).toBe(Status.ABORTED);
      expect(aborted?.attempts).toBe(1);
    });
  });

  it('replays the identical pair for a repeated idempotency key and says so in a header', async () => {
    const idempotencyKey = uniquePrefix('replay');
    const replays: boolean[] = [];
    const onHeaders = (h: { idempotentReplay: boolean }): void => void replays.push(h.idempotentReplay);
    const first = await client.issueToken({ tenantId, sub: 'jack', claims: { a: '1' } }, { idempotencyKey, onHeaders });
    const second = await client.issueToken({ tenantId, sub: 'jack', claims: { a: '1' } }, { idempotencyKey, onHeaders });
    expect(second).toEqual(first);
    expect(replays).toEqual([false, true]);
    const refreshKey = uniquePrefix('refresh');
    const r1 = await client.refreshToken({ tenantId, refreshToken: first.refreshToken }, { idempotencyKey: refreshKey });
    const r2 = await client.refreshToken({ tenantId, refreshToken: first.refreshToken }, { idempotencyKey: refreshKey });
    expect(r2).toEqual(r1);
  });

  it('sends a correlation id, its own or a generated one, and reports the echo', async () => {
    const seen: (string | undefined)[] = [];
    await client.issueToken(
      { tenantId, sub: 'kim' },
      { correlationId: 'client-test-42', onHeaders: (h) => seen.push(h.correlationId) },
    );
    await client.revokeAllUserTokens({ tenantId, userId: 'kim' }, { onHeaders: (h) => seen.push(h.correlationId) });
    expect(seen[0]).toBe('client-test-42');
    expect(seen[1]).toMatch(UUID);
    const err = await failure(client.issueToken({ tenantId, sub: '' }, { correlationId: 'client-test-43' }));
    expect(err.correlationId).toBe('client-test-43');
  });

  it('fails with DEADLINE_EXCEEDED past a tiny deadline, without retrying even with an idempotency key', async () => {
    const retries: RetryEvent[] = [];
    const hurried = createClient({ address: t.grpcAddress, apiKey: TEST_API_KEY, onRetry: (e) => void retries.push(e) });
    try {
      const err = await failure(
        hurried.issueToken({ tenantId, sub: 'lee' }, { deadlineMs: 1, idempotencyKey: uniquePrefix('deadline') }),
      );
      expect(err).toMatchObject({ code: Status.DEADLINE_EXCEEDED, codeName: 'DEADLINE_EXCEEDED', attempts: 1 });
      expect((await failure(hurried.revokeAllUserTokens({ tenantId, userId: 'lee' }, { deadlineMs: 1 }))).codeName).toBe(
        'DEADLINE_EXCEEDED',
      );
      expect(retries).toEqual([]);
    } finally {
      hurried.close();
    }
    const defaultDeadline = createClient({ address: t.grpcAddress, apiKey: TEST_API_KEY, deadlineMs: 1 });
    try {
      expect((await failure(defaultDeadline.issueToken({ tenantId, sub: 'lee' }))).codeName).toBe('DEADLINE_EXCEEDED');
      // A per-call deadline overrides the client's.
      await expect(defaultDeadline.issueToken({ tenantId, sub: 'lee' }, { deadlineMs: 5_000 })).resolves.toBeDefined();
    } finally {
      defaultDeadline.close();
    }
  });

  it('cancels a call when its signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await failure(client.issueToken({ tenantId, sub: 'mia' }, { signal: controller.signal }));
    expect(err.codeName).toBe('CANCELLED');
  });

  it('checks gRPC health on the same channel, without credentials', async () => {
    expect(await client.checkHealth()).toBe('SERVING');
    expect(await client.checkHealth('token.v1.TokenEngine')).toBe('SERVING');
    const keyless = createClient({ address: t.grpcAddress });
    try {
      expect(await keyless.checkHealth()).toBe('SERVING');
      expect((await failure(keyless.checkHealth('no.such.Service'))).codeName).toBe('NOT_FOUND');
    } finally {
      keyless.close();
    }
  });

  it('refuses bad options without echoing the API key', () => {
    const secret = 'line\nbreak-secret';
    let message = '';
    try {
      createClient({ address: t.grpcAddress, apiKey: secret });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('apiKey must be non-empty printable ASCII');
    expect(() => createClient({ address: '', apiKey: 'k' })).toThrow(TypeError);
    expect(() => createClient({ address: t.grpcAddress, apiKey: 'k', retry: { maxAttempts: 0 } })).toThrow(TypeError);
    expect(() => createClient({ address: t.grpcAddress, apiKey: 'k', deadlineMs: -1 })).toThrow(TypeError);
  });

  it('rejects calls after close()', async () => {
    const closing = createClient({ address: t.grpcAddress, apiKey: TEST_API_KEY });
    await closing.issueToken({ tenantId, sub: 'ned' });
    closing.close();
    await expect(closing.issueToken({ tenantId, sub: 'ned' })).rejects.toThrow('token-engine client is closed');
  });
});

describe('retries', () => {
  const tenantId = 'any-tenant';
  const fast = { initialBackoffMs: 5, maxBackoffMs: 20 };
  let address: string;
  beforeAll(async () => {
    address = `127.0.0.1:${await deadPort()}`;
  });

  /** A client to nothing, counting its retries. */
  function unreachable(maxAttempts = 3): { client: TokenEngineClient; retries: RetryEvent[] } {
    const retries: RetryEvent[] = [];
    const client = createClient({ address, apiKey: 'k', retry: { ...fast, maxAttempts }, onRetry: (e) => void retries.push(e) });
    return { client, retries };
  }

  it('retries each revocation on UNAVAILABLE, up to the attempt bound', async () => {
    const calls: [string, (c: TokenEngineClient) => Promise<void>][] = [
      ['RevokeToken', (c) => c.revokeToken({ tenantId, refreshToken: 'r' })],
      ['RevokeAllForAudience', (c) => c.revokeAllForAudience({ tenantId, audience: 'a' })],
      ['RevokeAllUserTokens', (c) => c.revokeAllUserTokens({ tenantId, userId: 'u' })],
      ['RevokeAllForUserAndAudience', (c) => c.revokeAllForUserAndAudience({ tenantId, userId: 'u', audience: 'a' })],
    ];
    for (const [method, call] of calls) {
      const { client, retries } = unreachable();
      try {
        const err = await failure(call(client));
        expect(err).toMatchObject({ code: Status.UNAVAILABLE, codeName: 'UNAVAILABLE', method, attempts: 3 });
        expect(retries.map((r) => [r.method, r.attempt])).toEqual([
          [method, 1],
          [method, 2],
        ]);
        expect(retries.every((r) => r.delayMs >= 0 && r.delayMs <= fast.maxBackoffMs && r.error.codeName === 'UNAVAILABLE')).toBe(
          true,
        );
      } finally {
        client.close();
      }
    }
  });

  it('does not retry IssueToken or RefreshToken without an idempotency key', async () => {
    const { client, retries } = unreachable();
    try {
      expect((await failure(client.issueToken({ tenantId, sub: 'u' }))).attempts).toBe(1);
      expect((await failure(client.refreshToken({ tenantId, refreshToken: 'r' }))).attempts).toBe(1);
      expect(retries).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('retries IssueToken and RefreshToken that carry an idempotency key', async () => {
    const { client, retries } = unreachable();
    try {
      expect((await failure(client.issueToken({ tenantId, sub: 'u' }, { idempotencyKey: 'k1' }))).attempts).toBe(3);
      expect((await failure(client.refreshToken({ tenantId, refreshToken: 'r' }, { idempotencyKey: 'k2' }))).attempts).toBe(3);
      expect(retries).toHaveLength(4);
    } finally {
      client.close();
    }
  });

  it('honours maxAttempts and stops when the next wait would pass the deadline', async () => {
    const once = unreachable(1);
    const slow = createClient({ address, apiKey: 'k', retry: { initialBackoffMs: 2_000, maxBackoffMs: 2_000 } });
    try {
      expect((await failure(once.client.revokeToken({ tenantId, refreshToken: 'r' }))).attempts).toBe(1);
      const started = Date.now();
      const err = await failure(slow.revokeToken({ tenantId, refreshToken: 'r' }, { deadlineMs: 500 }));
      expect(err).toMatchObject({ codeName: 'UNAVAILABLE', attempts: 1 });
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      once.client.close();
      slow.close();
    }
  });

  it('succeeds on a later attempt once the server is reachable again', async () => {
    const t = await startTestApp();
    const [host, port] = t.grpcAddress.split(':');
    const proxy = new TcpProxy(host ?? '127.0.0.1', Number(port));
    await proxy.start();
    await proxy.cut();
    const retries: RetryEvent[] = [];
    const client = createClient({
      address: `127.0.0.1:${proxy.port}`,
      apiKey: TEST_API_KEY,
      retry: { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 200 },
      // Reconnect promptly once the proxy listens again (grpc-js waits 1 s by default).
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': 20,
        'grpc.min_reconnect_backoff_ms': 20,
        'grpc.max_reconnect_backoff_ms': 50,
      },
      onRetry: async (e) => {
        retries.push(e);
        if (e.attempt === 1) await proxy.restore();
      },
    });
    try {
      await client.revokeAllUserTokens({ tenantId: t.tenantId, userId: 'comeback' });
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries[0]?.error.codeName).toBe('UNAVAILABLE');
    } finally {
      client.close();
      await proxy.cut();
      await t.stop();
    }
  });
});

describe('the client over mTLS', () => {
  let pki: TestPki;
  let t: TestApp;
  // serverName: the server certificate names localhost (and 127.0.0.1, but Node warns
  // when a TLS server name is an IP address).
  const mtls = (id: { cert: Buffer; key: Buffer }): TokenEngineClient =>
    createClient({ address: t.grpcAddress, tls: { cert: id.cert, key: id.key, ca: pki.ca, serverName: 'localhost' } });

  let stopApp: () => Promise<void>;
  beforeAll(async () => {
    ({ t, pki, stop: stopApp } = await startMtlsTestApp('client-mtls'));
  });
  afterAll(async () => {
    await stopApp();
  });

  it('issues, refreshes and revokes with a permitted client certificate (PEM as Buffer or string)', async () => {
    const client = mtls(pki.clients.serviceA);
    const fromStrings = createClient({
      address: t.grpcAddress,
      tls: {
        cert: pki.clients.serviceA.cert.toString(),
        key: pki.clients.serviceA.key.toString(),
        ca: pki.ca.toString(),
        serverName: 'localhost',
      },
    });
    try {
      const pair = await client.issueToken({ tenantId: t.tenantId, sub: 'svc-user' });
      const next = await fromStrings.refreshToken({ tenantId: t.tenantId, refreshToken: pair.refreshToken });
      await client.revokeAllUserTokens({ tenantId: t.tenantId, userId: 'svc-user' });
      expect((await failure(client.refreshToken({ tenantId: t.tenantId, refreshToken: next.refreshToken }))).codeName).toBe(
        'PERMISSION_DENIED',
      );
      expect(await client.checkHealth()).toBe('SERVING');
    } finally {
      client.close();
      fromStrings.close();
    }
  });

  it('PERMISSION_DENIED for a certificate whose CN the registry does not permit', async () => {
    const client = mtls(pki.clients.serviceB);
    try {
      const err = await failure(client.issueToken({ tenantId: t.tenantId, sub: 'u' }));
      expect(err).toMatchObject({ codeName: 'PERMISSION_DENIED', message: 'caller not authorized' });
    } finally {
      client.close();
    }
  });

  it('UNAUTHENTICATED for a certificate without a CN', async () => {
    const client = mtls(pki.clients.noCn);
    try {
      expect((await failure(client.issueToken({ tenantId: t.tenantId, sub: 'u' }))).codeName).toBe('UNAUTHENTICATED');
    } finally {
      client.close();
    }
  });

  it('UNAVAILABLE (after bounded retries of a revocation) when the handshake fails', async () => {
    const retries: RetryEvent[] = [];
    const client = createClient({
      address: t.grpcAddress,
      tls: { cert: pki.clients.untrusted.cert, key: pki.clients.untrusted.key, ca: pki.ca, serverName: 'localhost' },
      retry: { initialBackoffMs: 5, maxBackoffMs: 10 },
      onRetry: (e) => void retries.push(e),
    });
    try {
      const err = await failure(client.revokeAllUserTokens({ tenantId: t.tenantId, userId: 'u' }));
      expect(err).toMatchObject({ codeName: 'UNAVAILABLE', attempts: 3 });
      expect(retries).toHaveLength(2);
    } finally {
      client.close();
    }
  });
});

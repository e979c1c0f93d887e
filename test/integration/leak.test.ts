/**
 * The credential-leak regression the Go service ships (its scenarios 23–32), with tracing
 * on: after every scenario, no 12-character fragment of any token (for JWTs: of the
 * payload and signature segments), API key or idempotency key appears in any log line, any
 * span (name, attributes, events, status), the /metrics body, or anything the client got
 * back with an error (message, details, headers, trailers).
 */
import { randomBytes } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/observability/tracing-sdk.js';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { tokenRef } from '../../src/tokens/refresh-token.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClient, type CallResult, type RpcName, type WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';

const API_KEY = 'leak-api-key-7c1e94b2d05a';
const WRONG_KEY = 'leak-wrong-key-3f9d8e21c4b7';
const IDEMPOTENCY_KEY = 'leak-idem-key-1';
const WINDOW = 12;

/** What must never be seen: each secret's fragments, by secret. */
const secrets = new Set<string>([API_KEY, WRONG_KEY, IDEMPOTENCY_KEY]);
/** Everything the client received along with an error. */
const clientSide: string[] = [];

/** The 12-character windows of a secret; for a JWT, of its payload and signature only. */
function fragments(secret: string): string[] {
  const parts = secret.split('.');
  const segments = parts.length === 3 ? [parts[1] ?? '', parts[2] ?? ''] : [secret];
  return segments.flatMap((segment) => {
    if (segment.length <= WINDOW) return [segment];
    return Array.from({ length: segment.length - WINDOW + 1 }, (_, i) => segment.slice(i, i + WINDOW));
  });
}

/** Which secrets show up in which of the texts (`where: fragment`). */
function findLeaks(texts: Record<string, readonly string[]>): string[] {
  const leaks: string[] = [];
  for (const [where, list] of Object.entries(texts)) {
    const windows = new Set<string>();
    for (const text of list) for (let i = 0; i + WINDOW <= text.length; i++) windows.add(text.slice(i, i + WINDOW));
    const joined = list.join('\n');
    for (const secret of secrets) {
      for (const fragment of fragments(secret)) {
        const seen = fragment.length === WINDOW ? windows.has(fragment) : joined.includes(fragment);
        if (seen) {
          leaks.push(`${where}: ${fragment}`);
          break;
        }
      }
    }
  }
  return leaks;
}

let tracing: Tracing;
let exporter: InMemorySpanExporter;
let t: TestApp;
let client: TestClient;
let redis: Redis;

beforeAll(async () => {
  exporter = new InMemorySpanExporter();
  tracing = startTracing([new SimpleSpanProcessor({ exporter })]);
  t = await startTestApp({ TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=leak-caller` }, uniquePrefix('leak-issuer'));
  client = new TestClient(t.grpcAddress, API_KEY);
  redis = testRedis();
});
afterAll(async () => {
  client.close();
  redis.disconnect();
  await t.stop();
  await tracing.shutdown();
});

async function observed(): Promise<Record<string, string[]>> {
  const metrics = await (await fetch(`${t.httpBase}/metrics`)).text();
  return {
    logs: t.logs.map((line) => JSON.stringify(line)),
    spans: exporter.getFinishedSpans().map((span) =>
      JSON.stringify({
        name: span.name,
        attributes: span.attributes,
        events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
        status: span.status,
        links: span.links.map((l) => l.attributes),
      }),
    ),
    metrics: [metrics],
    client: clientSide,
  };
}

afterEach(async () => {
  expect(findLeaks(await observed())).toEqual([]);
});

/** Calls an RPC, remembering the tokens it returns and everything an error brings back. */
async function call<T = Record<string, unknown>>(method: RpcName, request: object, metadata?: Metadata): Promise<CallResult<T>> {
  const result = await client.call<T>(method, request, metadata ?? client.metadata());
  const pair = result.response as Partial<WireTokenPair> | undefined;
  if (pair?.access_token) secrets.add(pair.access_token);
  if (pair?.refresh_token) secrets.add(pair.refresh_token);
  if (result.error) {
    clientSide.push(result.error.message, result.error.details, JSON.stringify(result.error.metadata?.toJSON() ?? {}));
  }
  clientSide.push(JSON.stringify(result.headers.toJSON()));
  return result;
}

async function issue(request: object, metadata?: Metadata): Promise<WireTokenPair> {
  const result = await call<WireTokenPair>('IssueToken', { tenant_id: t.tenantId, ...request }, metadata);
  expect(result.error).toBeUndefined();
  return result.response as WireTokenPair;
}

describe('no credential fragment leaks into logs, spans, metrics or client errors', () => {
  it('the checker itself finds a planted fragment (control)', async () => {
    const pair = await issue({ sub: 'leak-control' });
    const signature = pair.access_token.split('.')[2] ?? '';
    expect(findLeaks({ planted: [`x${signature.slice(5, 5 + WINDOW)}y`] })).toHaveLength(1);
    expect(findLeaks({ planted: [`prefix ${pair.refresh_token.slice(20, 32)} suffix`] })).toHaveLength(1);
    expect(findLeaks({ planted: [pair.access_token.split('.')[0] ?? ''] })).toEqual([]);
  });

  it('23: IssueToken with audiences and claims', async () => {
    await issue({ sub: 'leak-user', audiences: ['api', 'admin'], claims: { role: 'admin', org: 'acme' } });
  });

  it('24: IssueToken twice with one x-idempotency-key answers the same pair', async () => {
    const md = (): Metadata => client.metadata({ 'x-idempotency-key': IDEMPOTENCY_KEY });
    const first = await issue({ sub: 'leak-user' }, md());
    const replay = await call<WireTokenPair>('IssueToken', { tenant_id: t.tenantId, sub: 'leak-user' }, md());
    expect(replay.response?.access_token).toBe(first.access_token);
    expect(replay.headers.get('x-idempotent-replay')).toEqual(['true']);
  });

  it('25, 26: RefreshToken rotates; presenting the rotated-out token again is refused', async () => {
    const original = await issue({ sub: 'leak-user' });
    const rotated = await call<WireTokenPair>('RefreshToken', { tenant_id: t.tenantId, refresh_token: original.refresh_token });
    expect(rotated.response?.refresh_token).toBeDefined();
    expect(rotated.response?.refresh_token).not.toBe(original.refresh_token);
    const reused = await call('RefreshToken', { tenant_id: t.tenantId, refresh_token: original.refresh_token });
    expect(reused.error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('27: RefreshToken with a random 32-byte token', async () => {
    const garbage = randomBytes(32).toString('base64url');
    secrets.add(garbage);
    const result = await call('RefreshToken', { tenant_id: t.tenantId, refresh_token: garbage });
    expect(result.error?.code).toBe(status.NOT_FOUND);
  });

  it('28: RevokeToken logs the token reference, never the token', async () => {
    const pair = await issue({ sub: 'leak-user' });
    const md = client.metadata({ 'x-correlation-id': 'leak-revoke-1' });
    expect((await call('RevokeToken', { tenant_id: t.tenantId, refresh_token: pair.refresh_token }, md)).error).toBeUndefined();
    const audit = t.logs.filter((l) => l['msg'] === 'token revoked' && l['correlation_id'] === 'leak-revoke-1');
    expect(audit.map((l) => l['token_ref'])).toEqual([tokenRef(pair.refresh_token)]);
  });

  it('29: RevokeAllUserTokens after two issues', async () => {
    await issue({ sub: 'leak-bulk-user' });
    await issue({ sub: 'leak-bulk-user' });
    expect((await call('RevokeAllUserTokens', { tenant_id: t.tenantId, user_id: 'leak-bulk-user' })).error).toBeUndefined();
  });

  it('30: RevokeAllForAudience', async () => {
    await issue({ sub: 'leak-user', audiences: ['api'] });
    expect((await call('RevokeAllForAudience', { tenant_id: t.tenantId, audience: 'api' })).error).toBeUndefined();
  });

  it('31: RevokeAllForUserAndAudience', async () => {
    await issue({ sub: 'leak-pair-user', audiences: ['api'] });
    expect(
      (await call('RevokeAllForUserAndAudience', { tenant_id: t.tenantId, user_id: 'leak-pair-user', audience: 'api' })).error,
    ).toBeUndefined();
  });

  it('32: a revocation refused before the handler never reaches the audit store', async () => {
    const store = t.app.stores.tokens;
    const auditKey = new TenantKeys(t.tenantId).audit();
    const before = await redis.xlen(auditKey);
    let reached = 0;
    const spy =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        reached += 1;
        return fn.apply(store, args);
      };
    const originals = {
      revokeToken: store.revokeToken,
      revokeUser: store.revokeUser,
      revokeAudience: store.revokeAudience,
      revokeUserAudience: store.revokeUserAudience,
    };
    Object.assign(store, {
      revokeToken: spy(originals.revokeToken),
      revokeUser: spy(originals.revokeUser),
      revokeAudience: spy(originals.revokeAudience),
      revokeUserAudience: spy(originals.revokeUserAudience),
    });
    try {
      const pair = await issue({ sub: 'leak-user' });
      const refused = [
        await call('RevokeToken', { tenant_id: '', refresh_token: pair.refresh_token }),
        await call('RevokeToken', { tenant_id: t.tenantId, refresh_token: `${pair.refresh_token}${'x'.repeat(512)}` }),
        await call('RevokeAllUserTokens', { tenant_id: t.tenantId, user_id: ' ' }),
        await call('RevokeAllForUserAndAudience', { tenant_id: t.tenantId, user_id: 'u', audience: '' }),
      ];
      for (const result of refused) expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
      const wrongKey = new Metadata();
      wrongKey.set('x-api-key', WRONG_KEY);
      const bearer = new Metadata();
      bearer.set('authorization', `Bearer ${WRONG_KEY}`);
      for (const md of [wrongKey, bearer]) {
        const result = await call('RevokeToken', { tenant_id: t.tenantId, refresh_token: pair.refresh_token }, md);
        expect(result.error?.code).toBe(status.UNAUTHENTICATED);
      }
      expect(reached).toBe(0);
      expect(await redis.xlen(auditKey)).toBe(before);
      // The token is still valid: nothing was revoked.
      expect((await call('RefreshToken', { tenant_id: t.tenantId, refresh_token: pair.refresh_token })).error).toBeUndefined();
    } finally {
      Object.assign(store, originals);
    }
  });

  it('was a real check: spans of every kind were recorded, and traced log lines carry trace ids', () => {
    const names = new Set(exporter.getFinishedSpans().map((s) => s.name));
    for (const name of [
      'token.v1.TokenEngine/IssueToken',
      'token.v1.TokenEngine/RevokeToken',
      'authenticate',
      'validate',
      'idempotency claim',
      'RefreshToken',
    ]) {
      expect(names).toContain(name);
    }
    expect([...names].some((n) => /^EVAL(SHA)? rotate$/.test(n))).toBe(true);
    const inRequests = t.logs.filter((l) => typeof l['correlation_id'] === 'string');
    expect(inRequests.length).toBeGreaterThan(20);
    for (const line of inRequests) expect(line['trace_id'], JSON.stringify(line)).toMatch(/^[0-9a-f]{32}$/);
    expect(secrets.size).toBeGreaterThan(20);
  });
});

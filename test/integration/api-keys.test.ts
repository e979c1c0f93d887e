/**
 * API keys through real gRPC and Redis, on two replicas sharing one Redis: the secret
 * shown once, stored only as a peppered digest (a dump of every key and value holds
 * neither the secret nor an unkeyed hash of it), a mistyped key refused with no Redis
 * command, revocation effective at once on the other replica (the key and the tokens it
 * minted, for ValidateToken and the local verifier), pagination over 1,050 keys, retried
 * creates answered once, bad input, audit records and metrics.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Metadata, status } from '@grpc/grpc-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../../client/index.js';
import { mintSecret, newKeyId } from '../../src/apikeys/secret.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';
import { makeProof, proofKey } from '../support/dpop.js';
import { TcpProxy } from '../support/tcp-proxy.js';

interface WireInfo {
  key_id: string;
  owner: string;
  name: string;
  claims: Record<string, string>;
  audiences: string[];
  created_at: number;
  expires_at: number;
  last_used_at: number;
  revoked: boolean;
}
interface Created {
  api_key: string;
  info: WireInfo;
}
interface Listed {
  keys: WireInfo[];
  next_page_token: string;
}
interface Exchanged {
  access_token: string;
  expires_in: number;
}

const PEPPER = randomBytes(32).toString('base64');
const tenantId = uniquePrefix('apikeys');
let a: TestApp;
let b: TestApp;
let proxy: TcpProxy;
/** Behind a proxy the test can cut: Redis away. */
let c: TestApp;
/** Every response any call of this file received, as JSON: the wire the secret may appear on. */
const wire: string[] = [];

beforeAll(async () => {
  const env = {
    TOKEN_ENGINE_API_KEY_PEPPER: PEPPER,
    TOKEN_ENGINE_API_KEYS_PER_OWNER: '2000',
    TOKEN_ENGINE_LOG_LEVEL: 'info',
  };
  a = await startTestApp(env, tenantId);
  b = await startTestApp(env, tenantId);
  const target = new URL(redisUrlForTests());
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  c = await startTestApp({ ...env, TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, tenantId);
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop(), c.stop()]);
  await proxy.cut();
});

async function ok<T>(app: TestApp, method: Parameters<TestApp['client']['ok']>[0], request: object, md?: Metadata): Promise<T> {
  const response = await app.client.ok<T>(method, request, md);
  wire.push(JSON.stringify(response));
  return response;
}
async function fails(app: TestApp, method: Parameters<TestApp['client']['ok']>[0], request: object) {
  const result = await app.client.call(method, request);
  if (!result.error) throw new Error(`${method} succeeded: ${JSON.stringify(result.response)}`);
  wire.push(JSON.stringify({ code: result.error.code, details: result.error.details }));
  return result.error;
}
const create = (app: TestApp, request: object = {}, md?: Metadata) =>
  ok<Created>(app, 'CreateApiKey', { tenant_id: tenantId, owner: 'ci-bot', name: 'deploy job', ...request }, md);
const exchange = (app: TestApp, api_key: string) => ok<Exchanged>(app, 'ExchangeApiKey', { tenant_id: tenantId, api_key });
const validate = (app: TestApp, access_token: string) =>
  ok<{ active: boolean; reason: string; sub: string; api_key_id: string; claims: Record<string, string> }>(app, 'ValidateToken', {
    tenant_id: tenantId,
    access_token,
  });

/** Every key and value of the Redis database, as text. */
async function redisDump(): Promise<string> {
  const redis = testRedis();
  try {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        parts.push(key);
        const type = await redis.type(key);
        if (type === 'string') parts.push((await redis.get(key)) ?? '');
        else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

/** The secret with one character of its random part changed: the checksum no longer matches. */
function mistyped(secret: string): string {
  const i = 30;
  const c = secret.charAt(i) === 'a' ? 'b' : 'a';
  return secret.slice(0, i) + c + secret.slice(i + 1);
}

describe('CreateApiKey and ExchangeApiKey', () => {
  it('shows the secret once; the exchanged token carries owner, akid, claims and audiences', async () => {
    const created = await create(a, { claims: { tier: 'gold' }, audiences: ['billing'], expires_in: 3600 });
    expect(created.api_key).toMatch(/^tek_[0-9A-Za-z]{65}$/);
    expect(created.info).toMatchObject({ owner: 'ci-bot', name: 'deploy job', revoked: false, last_used_at: 0 });
    expect(created.info.expires_at - created.info.created_at).toBe(3600);

    const token = await exchange(b, created.api_key);
    expect(token.expires_in).toBeGreaterThan(290);
    expect(token.expires_in).toBeLessThanOrEqual(300);
    const claims = decodeJwt(token.access_token);
    expect(claims).toMatchObject({ sub: 'ci-bot', akid: created.info.key_id, tier: 'gold', aud: ['billing'] });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
    expect(await validate(a, token.access_token)).toMatchObject({
      active: true,
      sub: 'ci-bot',
      api_key_id: created.info.key_id,
      claims: { tier: 'gold' },
    });

    const listed = await ok<Listed>(a, 'ListApiKeys', { tenant_id: tenantId, owner: 'ci-bot' });
    const mine = listed.keys.find((k) => k.key_id === created.info.key_id);
    expect(mine?.last_used_at).toBeGreaterThan(0);
    await revokeQuietly(created.info.key_id);

    const occurrences = wire.join('\n').split(created.api_key).length - 1;
    expect(occurrences).toBe(1);
    const logs = JSON.stringify([...a.logs, ...b.logs]);
    expect(logs).not.toContain(created.api_key);
    expect(logs).toContain(created.info.key_id);
  });

  it('leaves neither the secret nor an unkeyed hash of it in Redis', async () => {
    const secrets: string[] = [];
    for (let i = 0; i < 5; i += 1) secrets.push((await create(a, { owner: `dump-${i}` })).api_key);
    const dump = await redisDump();
    for (const secret of secrets) {
      const forms = [secret, secret.slice(4)];
      for (const form of forms) {
        const sha = createHash('sha256').update(form).digest();
        for (const text of [form, sha.toString('hex'), sha.toString('base64'), sha.toString('base64url')]) {
          expect(dump).not.toContain(text);
        }
      }
    }
  });

  it('refuses a mistyped key with no Redis command, even with Redis unreachable', async () => {
    const created = await create(a, { owner: 'typo' });
    const monitor = testRedis();
    const seen: string[] = [];
    try {
      const m = await monitor.monitor();
      m.on('monitor', (_time: string, args: string[]) => seen.push(args.join(' ')));
      // MONITOR is set up when a command issued after it is seen.
      await a.client.ok('ExchangeApiKey', { tenant_id: tenantId, api_key: created.api_key });
      for (let i = 0; i < 100 && !seen.some((line) => line.includes(created.info.key_id)); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(seen.some((line) => line.includes(created.info.key_id))).toBe(true);
      seen.length = 0;
      const error = await fails(a, 'ExchangeApiKey', { tenant_id: tenantId, api_key: mistyped(created.api_key) });
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toBe('api key invalid');
      // The marker: a command after the refused call, so everything before it has been seen.
      const marker = `marker-${uniquePrefix('m')}`;
      const probe = testRedis();
      await probe.get(marker);
      probe.disconnect();
      for (let i = 0; i < 100 && !seen.some((line) => line.includes(marker)); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(seen.some((line) => line.includes(marker))).toBe(true);
      expect(seen.filter((line) => line.includes(created.info.key_id))).toEqual([]);
      m.disconnect();
    } finally {
      monitor.disconnect();
    }

    await proxy.cut();
    try {
      const error = await fails(c, 'ExchangeApiKey', { tenant_id: tenantId, api_key: mistyped(created.api_key) });
      expect(error.code).toBe(status.UNAUTHENTICATED);
      const unavailable = await fails(c, 'ExchangeApiKey', { tenant_id: tenantId, api_key: created.api_key });
      expect(unavailable.code).toBe(status.UNAVAILABLE);
    } finally {
      await proxy.restore();
    }
  });

  it('answers one UNAUTHENTICATED message for every refusal', async () => {
    const expired = await create(a, { owner: 'short', expires_in: 1 });
    const revoked = await create(a, { owner: 'gone' });
    await ok(a, 'RevokeApiKey', { tenant_id: tenantId, key_id: revoked.info.key_id });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const unknown = mintSecret(newKeyId());
    const cases = [
      'not-a-key',
      mistyped(revoked.api_key),
      revoked.api_key,
      expired.api_key,
      // Right shape and checksum, never created: it reaches the store and is not found.
      unknown,
    ];
    for (const key of cases) {
      const error = await fails(b, 'ExchangeApiKey', { tenant_id: tenantId, api_key: key });
      expect([error.code, error.details]).toEqual([status.UNAUTHENTICATED, 'api key invalid']);
    }
  });
});

describe('RevokeApiKey', () => {
  it('stops the key at once on the other replica, and the tokens it minted', async () => {
    const created = await create(a, { owner: 'revokee' });
    const before = await exchange(b, created.api_key);
    const verifier = createVerifier({
      address: b.grpcAddress,
      apiKey: TEST_API_KEY,
      tenant: tenantId,
      jwksUrl: `${b.httpBase}/tenants/${encodeURIComponent(tenantId)}/.well-known/jwks.json`,
    });
    try {
      await verifier.ready();
      expect((await verifier.verify(before.access_token)).active).toBe(true);
      expect((await validate(b, before.access_token)).active).toBe(true);

      await ok(a, 'RevokeApiKey', { tenant_id: tenantId, key_id: created.info.key_id });
      const refused = await fails(b, 'ExchangeApiKey', { tenant_id: tenantId, api_key: created.api_key });
      expect(refused.code).toBe(status.UNAUTHENTICATED);
      expect(await validate(b, before.access_token)).toMatchObject({ active: false, reason: 'revoked' });

      const deadline = Date.now() + 5_000;
      let result = await verifier.verify(before.access_token);
      while (result.active && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        result = await verifier.verify(before.access_token);
      }
      expect(result).toMatchObject({ active: false, reason: 'revoked' });
    } finally {
      verifier.close();
    }
    // Idempotent: again, and for a key id never issued.
    await ok(a, 'RevokeApiKey', { tenant_id: tenantId, key_id: created.info.key_id });
    await ok(b, 'RevokeApiKey', { tenant_id: tenantId, key_id: 'Z'.repeat(16) });
    const listed = await ok<Listed>(b, 'ListApiKeys', { tenant_id: tenantId, owner: 'revokee' });
    expect(listed.keys.map((k) => [k.key_id, k.revoked])).toEqual([[created.info.key_id, true]]);
  });

  it('writes audit records for create, revoke and refused exchanges, with the key id and never the secret', async () => {
    const created = await create(a, { owner: 'audited' });
    await fails(a, 'ExchangeApiKey', { tenant_id: tenantId, api_key: mistyped(created.api_key) });
    await ok(a, 'RevokeApiKey', { tenant_id: tenantId, key_id: created.info.key_id });
    await fails(a, 'ExchangeApiKey', { tenant_id: tenantId, api_key: created.api_key });
    let records = await a.app.stores.tokens.recentAudit(tenantId, 500);
    for (let i = 0; i < 50 && !records.some((r) => r.scope === 'api_key_exchange_refused' && r.tokenRef === 'revoked'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      records = await a.app.stores.tokens.recentAudit(tenantId, 500);
    }
    const mine = records.filter((r) => r.target === created.info.key_id).map((r) => [r.scope, r.tokenRef]);
    expect(mine).toEqual([
      ['api_key_create', ''],
      ['api_key', ''],
      ['api_key_exchange_refused', 'revoked'],
    ]);
    const lines = a.logs.filter((l) => l['key_id'] === created.info.key_id).map((l) => [l['msg'], l['reason'] ?? '']);
    expect(lines).toEqual([
      ['api key created', ''],
      ['api key exchange refused', 'checksum'],
      ['api key revoked', ''],
      ['api key exchange refused', 'revoked'],
    ]);
    expect(JSON.stringify(records)).not.toContain(created.api_key);
  });
});

describe('ListApiKeys', () => {
  it('pages over 1,050 keys returning each exactly once', async () => {
    const owner = uniquePrefix('many');
    const ids: string[] = [];
    for (let i = 0; i < 1050; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, 1050 - i) }, (_, j) =>
          a.client.ok<Created>('CreateApiKey', { tenant_id: tenantId, owner, name: `k${i + j}` }),
        ),
      );
      ids.push(...batch.map((c) => c.info.key_id));
    }
    const seen: string[] = [];
    let page_token = '';
    let pages = 0;
    do {
      const replica = pages % 2 === 0 ? a : b;
      const page = await replica.client.ok<Listed>('ListApiKeys', { tenant_id: tenantId, owner, page_size: 100, page_token });
      expect(page.keys.length).toBeLessThanOrEqual(100);
      for (const k of page.keys)
        expect(Object.keys(k).sort()).toEqual([
          'audiences',
          'claims',
          'created_at',
          'expires_at',
          'key_id',
          'last_used_at',
          'name',
          'owner',
          'revoked',
        ]);
      seen.push(...page.keys.map((k) => k.key_id));
      page_token = page.next_page_token;
      pages += 1;
    } while (page_token !== '');
    expect(seen).toHaveLength(1050);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(pages).toBe(11);
  });

  it('uses 50 as the default page size', async () => {
    const owner = uniquePrefix('default-page');
    for (let i = 0; i < 51; i += 1) await create(a, { owner });
    const page = await ok<Listed>(a, 'ListApiKeys', { tenant_id: tenantId, owner });
    expect(page.keys).toHaveLength(50);
    expect(page.next_page_token).not.toBe('');
  });
});

describe('idempotency and limits', () => {
  it('answers a retried create with the same key and makes one', async () => {
    const owner = uniquePrefix('retry');
    const md = () => a.client.metadata({ 'x-idempotency-key': `create-${owner}` });
    const first = await a.client.call<Created>('CreateApiKey', { tenant_id: tenantId, owner, name: 'n' }, md());
    const second = await b.client.call<Created>('CreateApiKey', { tenant_id: tenantId, owner, name: 'n' }, md());
    expect(second.response).toEqual(first.response);
    expect(second.headers.get('x-idempotent-replay')).toEqual(['true']);
    const listed = await a.client.ok<Listed>('ListApiKeys', { tenant_id: tenantId, owner });
    expect(listed.keys).toHaveLength(1);
    const other = await a.client.call('CreateApiKey', { tenant_id: tenantId, owner, name: 'other' }, md());
    expect(other.error?.code).toBe(status.FAILED_PRECONDITION);
  });
});

describe('DPoP', () => {
  const HTM = 'POST';
  const HTU = 'https://auth.example/api-keys/exchange';
  const proofBy = async (key: Awaited<ReturnType<typeof proofKey>>, htm = HTM) => ({
    proof: await makeProof({ key, htm, htu: HTU, iat: Math.floor(Date.now() / 1000) }),
    htm: HTM,
    htu: HTU,
  });

  it('binds the minted token to the proof key: cnf.jkt, and ValidateToken wants a proof by it', async () => {
    const created = await create(a, { owner: uniquePrefix('dpop') });
    const key = await proofKey();
    const minted = await ok<Exchanged>(a, 'ExchangeApiKey', {
      tenant_id: tenantId,
      api_key: created.api_key,
      dpop: await proofBy(key),
    });
    expect(decodeJwt(minted.access_token)['cnf']).toEqual({ jkt: key.jkt });
    const checked = await validate(b, minted.access_token);
    expect([checked.active, checked.reason]).toEqual([false, 'dpop_required']);
  });

  it('refuses a bad proof naming its check, after the secret checksum', async () => {
    const created = await create(a, { owner: uniquePrefix('dpop-bad') });
    const key = await proofKey();
    const bad = await fails(a, 'ExchangeApiKey', {
      tenant_id: tenantId,
      api_key: created.api_key,
      dpop: await proofBy(key, 'GET'),
    });
    expect([bad.code, bad.details]).toEqual([status.INVALID_ARGUMENT, 'dpop proof invalid: htm']);
    const typo = await fails(a, 'ExchangeApiKey', {
      tenant_id: tenantId,
      api_key: mistyped(created.api_key),
      dpop: await proofBy(key),
    });
    expect([typo.code, typo.details]).toEqual([status.UNAUTHENTICATED, 'api key invalid']);
    // The key itself was untouched by the refused proof.
    expect((await exchange(a, created.api_key)).access_token).not.toBe('');
  });
});

describe('bad input', () => {
  it.each([
    ['CreateApiKey', { owner: '' }, 'owner must not be empty'],
    ['CreateApiKey', { owner: 'o', name: 'bad\u0007name' }, 'name must not contain control characters'],
    ['CreateApiKey', { owner: 'o', name: 'x'.repeat(129) }, 'name must be at most 128 bytes'],
    ['CreateApiKey', { owner: 'o', expires_in: -5 }, 'expires_in must be a whole number of seconds, 0 or more'],
    ['CreateApiKey', { owner: 'o', claims: { akid: 'x' } }, 'claims key "akid" is reserved'],
    ['ListApiKeys', { owner: 'o', page_size: 501 }, 'page_size must be between 0 and 500'],
    ['ListApiKeys', { owner: 'o', page_token: 'garbage' }, 'page_token is not a page token of this list'],
    ['RevokeApiKey', { key_id: 'short' }, 'key_id is not an API key id'],
    ['ExchangeApiKey', { api_key: '' }, 'api_key must not be empty'],
    ['ExchangeApiKey', { api_key: 'tek_x', dpop: { proof: '', htm: 'POST', htu: 'https://x' } }, 'dpop.proof must not be empty'],
  ] as const)('%s %j → INVALID_ARGUMENT', async (method, request, message) => {
    const error = await fails(a, method, { tenant_id: tenantId, ...request });
    expect([error.code, error.details]).toEqual([status.INVALID_ARGUMENT, message]);
  });

  it('answers NOT_FOUND for an unknown tenant', async () => {
    const ghost = uniquePrefix('ghost');
    const error = await fails(a, 'CreateApiKey', { tenant_id: ghost, owner: 'o' });
    expect([error.code, error.details]).toEqual([status.NOT_FOUND, `tenant ${ghost} not found`]);
  });
});

describe('metrics', () => {
  it('counts exchanges by result and live keys per tenant', async () => {
    const created = await create(a, { owner: uniquePrefix('metrics') });
    await exchange(a, created.api_key);
    await fails(a, 'ExchangeApiKey', { tenant_id: tenantId, api_key: mistyped(created.api_key) });
    const text = await (await fetch(`${a.httpBase}/metrics`)).text();
    expect(text).toMatch(new RegExp(`token_engine_api_key_exchanges_total\\{tenant_id="${tenantId}",result="ok"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`token_engine_api_key_exchanges_total\\{tenant_id="${tenantId}",result="checksum"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`token_engine_api_keys_live\\{tenant_id="${tenantId}"\\} [1-9]`));
  });
});

describe('without a pepper', () => {
  it('keeps API keys off with the Redis store and says why', async () => {
    const off = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' });
    try {
      const result = await off.client.call('CreateApiKey', { tenant_id: off.tenantId, owner: 'o' });
      expect(result.error?.code).toBe(status.FAILED_PRECONDITION);
      expect(result.error?.details).toContain('TOKEN_ENGINE_API_KEY_PEPPER');
    } finally {
      await off.stop();
    }
  });
});

async function revokeQuietly(keyId: string): Promise<void> {
  await a.client.ok('RevokeApiKey', { tenant_id: tenantId, key_id: keyId });
}

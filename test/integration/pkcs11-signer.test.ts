import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_ALGS } from '../../src/keys/algorithms.js';
import { RECORD_MAC_LABEL } from '../../src/keys/pkcs11/pkcs11-signer.js';
import { encodeId } from '../../src/store/redis/keys.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { TokenInspector, runToken } from '../support/pkcs11.js';
import { uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';

const token = runToken();
const redis = testRedis();
let inspector: TokenInspector;

beforeAll(() => {
  inspector = new TokenInspector(token.env['TOKEN_ENGINE_PKCS11_MODULE'] ?? '', token.label, token.pin);
});
afterAll(async () => {
  inspector.close();
  await redis.quit();
});

const jwksOf = async (t: TestApp): Promise<JSONWebKeySet> =>
  (await (await fetch(`${t.httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;

/** Every value stored under the tenant's Redis keys, as text, whatever the key's type. */
async function tenantDump(tenantId: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${encodeId(tenantId)}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'hash'
          ? await redis.hgetall(key)
          : type === 'string'
            ? await redis.get(key)
            : type === 'stream'
              ? await redis.xrange(key, '-', '+')
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1)
                  : type === 'list'
                    ? await redis.lrange(key, 0, -1)
                    : `(${type})`;
      dump.set(key, JSON.stringify(value));
    }
  } while (cursor !== '0');
  return dump;
}

describe.each(SIGNING_ALGS)('PKCS#11 signer on SoftHSM2, %s', (alg) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ...token.env, TOKEN_ENGINE_SIGNING_ALG: alg }, uniquePrefix(`p11-${alg}`));
  });
  afterAll(async () => {
    await t.stop();
  });

  const issue = (sub: string) => t.client.ok<WireTokenPair>('IssueToken', { sub, tenant_id: t.tenantId });

  it('issues tokens signed in the token that verify with the served JWKS', async () => {
    const pair = await issue('user-1');
    const jwks = await jwksOf(t);
    expect(jwks.keys).toHaveLength(1);
    const { payload, protectedHeader } = await jwtVerify(pair.access_token, createLocalJWKSet(jwks), {
      issuer: t.tenantId,
      audience: t.audience,
      algorithms: [alg],
    });
    expect(protectedHeader).toEqual({ alg, kid: jwks.keys[0]?.kid, typ: 'JWT' });
    expect(payload.sub).toBe('user-1');
    // A second signature of other claims verifies too (no state left in a session).
    await jwtVerify((await issue('user-2')).access_token, createLocalJWKSet(jwks), { algorithms: [alg] });
  });

  it('keeps the private key inside the token: sensitive, never extractable, labelled with its kid', async () => {
    const [kid] = (await jwksOf(t)).keys.map((k) => k.kid as string);
    const p = inspector.p11;
    const handles = inspector.privateKeys(kid ?? '');
    expect(handles).toHaveLength(1);
    const handle = handles[0] as Buffer;
    expect(
      inspector.flags(handle, [p.CKA_SENSITIVE, p.CKA_EXTRACTABLE, p.CKA_ALWAYS_SENSITIVE, p.CKA_NEVER_EXTRACTABLE, p.CKA_TOKEN]),
    ).toEqual([true, false, true, true, true]);
    expect(inspector.value(handle, p.CKA_LABEL).toString('utf8')).toBe(kid);
    const secret = alg === 'RS256' ? p.CKA_PRIVATE_EXPONENT : p.CKA_VALUE;
    expect(() => inspector.value(handle, secret)).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
  });

  it('rotate-keys adds a key inside the token; the JWKS shows both and the new one signs', async () => {
    const before = (await jwksOf(t)).keys.map((k) => k.kid);
    const kid = await t.app.rotateKeys(t.tenantId, false);
    expect(inspector.privateKeys(kid)).toHaveLength(1);
    const jwks = await jwksOf(t);
    expect(jwks.keys.map((k) => k.kid)).toEqual([...before, kid]);
    const pair = await issue('user-3');
    expect(decodeProtectedHeader(pair.access_token).kid).toBe(kid);
    await jwtVerify(pair.access_token, createLocalJWKSet(jwks), { algorithms: [alg] });
  });

  it('stores only public keys and the schedule in Redis', async () => {
    const dump = await tenantDump(t.tenantId);
    const records = Object.values(
      JSON.parse(dump.get(`te:{${encodeId(t.tenantId)}}:keys`) ?? '{}') as Record<string, string>,
    ).map((r) => JSON.parse(r) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(Object.keys(record).sort()).toEqual(['activatesAt', 'alg', 'createdAt', 'kid', 'mac', 'publicJwk']);
    }
    const everything = [...dump.values()].join('\n');
    for (const privateMember of [
      '"d"',
      '"p"',
      '"q"',
      '"dp"',
      '"dq"',
      '"qi"',
      'sealedPrivateKey',
      'a256gcm.',
      'plain.',
      'PRIVATE KEY',
    ]) {
      expect(everything).not.toContain(privateMember);
    }
  });
});

describe('PKCS#11 start-up checks', () => {
  it('refuses an extractable key in the token, naming it, and does not start', async () => {
    const tenantId = uniquePrefix('p11-extractable');
    const kid = `extractable-${uniquePrefix('kid')}`;
    inspector.generateEc(kid, true);
    const now = Date.now();
    await redis.hset(
      `te:{${encodeId(tenantId)}}:keys`,
      kid,
      JSON.stringify({ kid, alg: 'ES256', createdAt: now, activatesAt: now, publicJwk: { kty: 'EC' }, mac: 'x' }),
    );
    await expect(startTestApp({ ...token.env }, tenantId)).rejects.toThrow(
      new RegExp(`signing key ${kid} in PKCS#11 token .* is refused: CKA_EXTRACTABLE=true, CKA_NEVER_EXTRACTABLE=false`),
    );
  });

  it('stops the start when a stored key is not in the token (the wrong token)', async () => {
    const tenantId = uniquePrefix('p11-missing');
    const now = Date.now();
    await redis.hset(
      `te:{${encodeId(tenantId)}}:keys`,
      'not-in-token',
      JSON.stringify({ kid: 'not-in-token', alg: 'ES256', createdAt: now, activatesAt: now, publicJwk: { kty: 'EC' }, mac: 'x' }),
    );
    await expect(startTestApp({ ...token.env }, tenantId)).rejects.toThrow(/signing key not-in-token is not in PKCS#11 token/);
  });

  it('keeps one record-MAC key in the token, sensitive and never extractable', () => {
    const p = inspector.p11;
    const keys = inspector.find([
      { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY },
      { type: p.CKA_LABEL, value: RECORD_MAC_LABEL },
    ]);
    expect(keys).toHaveLength(1);
    expect(inspector.flags(keys[0] as Buffer, [p.CKA_SENSITIVE, p.CKA_EXTRACTABLE, p.CKA_NEVER_EXTRACTABLE])).toEqual([
      true,
      false,
      true,
    ]);
  });
});

describe('PKCS#11 session pool', () => {
  it('queues signatures beyond the pool: 40 concurrent IssueToken calls on one session all succeed', async () => {
    const t = await startTestApp({ ...token.env, TOKEN_ENGINE_PKCS11_SESSIONS: '1' }, uniquePrefix('p11-pool'));
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => t.client.call<WireTokenPair>('IssueToken', { sub: `u${i}`, tenant_id: t.tenantId })),
      );
      expect(results.filter((r) => r.error)).toEqual([]);
      const jwks = createLocalJWKSet(await jwksOf(t));
      const subjects = await Promise.all(
        results.map(async (r) => (await jwtVerify(r.response?.access_token ?? '', jwks)).payload.sub),
      );
      expect(new Set(subjects).size).toBe(40);
    } finally {
      await t.stop();
    }
  });
});

/**
 * DPoP through real gRPC and Redis, on two replicas of the service sharing one Redis and
 * one tenant: binding at IssueToken, the mutation table of bad proofs at RefreshToken (each
 * refused with the check it failed, and the refresh token still usable afterwards, never
 * counted as reuse), replays on the same and on the other replica, 200 concurrent uses of
 * one proof over both replicas, and the resource side (ValidateToken).
 */
import { status } from '@grpc/grpc-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { ath, hmacSigned, makeProof, type ProofKey, type ProofParts, proofContent, proofKey, unsigned } from '../support/dpop.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';

const HTM = 'POST';
const HTU = 'https://as.example/token';

let a: TestApp;
let b: TestApp;
let key: ProofKey;
let otherKey: ProofKey;
let p384: ProofKey;

beforeAll(async () => {
  const tenantId = uniquePrefix('dpop');
  a = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId);
  b = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId);
  [key, otherKey, p384] = await Promise.all([proofKey('ES256'), proofKey('ES256'), proofKey('ES384')]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

const now = (): number => Math.floor(Date.now() / 1000);
const parts = (over: Partial<ProofParts> = {}): ProofParts => ({ key, htm: HTM, htu: HTU, iat: now(), ...over });
const dpop = async (over: Partial<ProofParts> = {}) => ({ proof: await makeProof(parts(over)), htm: HTM, htu: HTU });

const issue = (app: TestApp, request: object = {}) =>
  app.client.call<WireTokenPair>('IssueToken', { tenant_id: app.tenantId, sub: 'alice', ...request });
const refresh = (app: TestApp, refresh_token: string, request: object = {}) =>
  app.client.call<WireTokenPair>('RefreshToken', { tenant_id: app.tenantId, refresh_token, ...request });

async function boundPair(app: TestApp = a): Promise<WireTokenPair> {
  const result = await issue(app, { dpop: await dpop() });
  if (!result.response) throw new Error(`IssueToken failed: ${result.error?.details}`);
  return result.response;
}

async function proofResults(app: TestApp): Promise<Record<string, number>> {
  const { values } = await app.app.metrics.dpopProofs.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.result), v.value]));
}

async function reuseCount(app: TestApp): Promise<number> {
  const { values } = await app.app.metrics.refreshReuseDetected.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

describe('binding', () => {
  it('IssueToken with a proof binds the access token (cnf.jkt) and the family', async () => {
    const pair = await boundPair();
    expect(decodeJwt(pair.access_token)['cnf']).toEqual({ jkt: key.jkt });
    // The family keeps the binding through rotations, on either replica.
    const first = await refresh(b, pair.refresh_token, { dpop: await dpop() });
    expect(first.error).toBeUndefined();
    expect(decodeJwt(first.response?.access_token ?? '')['cnf']).toEqual({ jkt: key.jkt });
    const second = await refresh(a, first.response?.refresh_token ?? '', { dpop: await dpop() });
    expect(decodeJwt(second.response?.access_token ?? '')['cnf']).toEqual({ jkt: key.jkt });
  });

  it('an unbound family refreshes without a proof, and a proof sent for it is checked but binds nothing', async () => {
    const pair = (await issue(a)).response as WireTokenPair;
    expect(decodeJwt(pair.access_token)['cnf']).toBeUndefined();
    const bad = await refresh(a, pair.refresh_token, { dpop: await dpop({ claims: { htm: 'GET' } }) });
    expect(bad.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.error?.details).toBe('dpop proof invalid: htm');
    const good = await refresh(a, pair.refresh_token, { dpop: await dpop() });
    expect(good.error).toBeUndefined();
    expect(decodeJwt(good.response?.access_token ?? '')['cnf']).toBeUndefined();
    expect((await refresh(a, good.response?.refresh_token ?? '')).error).toBeUndefined();
  });

  it('a bound family needs a proof (INVALID_ARGUMENT) by its own key (PERMISSION_DENIED)', async () => {
    const pair = await boundPair();
    const none = await refresh(a, pair.refresh_token);
    expect(none.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(none.error?.details).toBe('dpop proof required');
    const other = await refresh(b, pair.refresh_token, { dpop: await dpop({ key: otherKey }) });
    expect(other.error?.code).toBe(status.PERMISSION_DENIED);
    expect((await refresh(a, pair.refresh_token, { dpop: await dpop() })).error).toBeUndefined();
  });
});

/** A bad proof and the check it must be refused by (or the status and message it gets). */
interface Mutation {
  readonly name: string;
  readonly proof: () => Promise<{ proof: string; htm: string; htu: string }>;
  readonly check?: string;
  readonly code?: status;
  readonly details?: RegExp;
  /** The replica it is presented to (default: a). */
  readonly on?: () => TestApp;
}

/** The content of a good proof, for mutations made by hand. */
const content = (over: Partial<ProofParts> = {}) => proofContent(parts(over));
const asProof = (proof: string) => ({ proof, htm: HTM, htu: HTU });

const MUTATIONS: readonly Mutation[] = [
  { name: 'wrong htm', check: 'htm', proof: () => dpop({ claims: { htm: 'GET' } }) },
  { name: 'htm in another case', check: 'htm', proof: () => dpop({ claims: { htm: 'post' } }) },
  { name: 'wrong htu path', check: 'htu', proof: () => dpop({ claims: { htu: 'https://as.example/other' } }) },
  { name: 'wrong htu host', check: 'htu', proof: () => dpop({ claims: { htu: 'https://evil.example/token' } }) },
  { name: 'htu over http', check: 'htu', proof: () => dpop({ claims: { htu: 'http://as.example/token' } }) },
  { name: 'stale iat', check: 'iat', proof: () => dpop({ iat: now() - 120 }) },
  { name: 'future iat', check: 'iat', proof: () => dpop({ iat: now() + 120 }) },
  { name: 'iat not a number', check: 'iat', proof: () => dpop({ claims: { iat: String(now()) } }) },
  {
    name: 'alg: none',
    check: 'alg',
    proof: async () => {
      const { header, claims } = content();
      return asProof(unsigned(header, claims));
    },
  },
  {
    name: 'HS256 keyed with the public key',
    check: 'alg',
    proof: async () => {
      const { header, claims } = content();
      return asProof(hmacSigned(header, claims, JSON.stringify(key.publicJwk)));
    },
  },
  { name: 'alg not in TOKEN_ENGINE_DPOP_ALGS (ES384)', check: 'alg', proof: () => dpop({ key: p384 }) },
  { name: 'private jwk', check: 'jwk', proof: () => dpop({ header: { jwk: key.privateJwk } }) },
  { name: 'symmetric jwk', check: 'jwk', proof: () => dpop({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }) },
  { name: 'no jwk', check: 'jwk', proof: () => dpop({ header: { jwk: undefined } }) },
  { name: 'missing typ', check: 'typ', proof: () => dpop({ header: { typ: undefined } }) },
  { name: 'typ JWT', check: 'typ', proof: () => dpop({ header: { typ: 'JWT' } }) },
  { name: 'oversized jti (129 chars)', check: 'jti', proof: () => dpop({ jti: 'j'.repeat(129) }) },
  { name: 'no jti', check: 'jti', proof: () => dpop({ claims: { jti: undefined } }) },
  {
    name: 'bad signature (payload changed after signing)',
    check: 'signature',
    proof: async () => {
      const [h, , s] = (await makeProof(parts())).split('.');
      const other = Buffer.from(JSON.stringify(content({ claims: { htm: 'POST', jti: 'forged' } }).claims)).toString('base64url');
      return asProof(`${h}.${other}.${s}`);
    },
  },
  {
    name: 'embedded key is not the signing key',
    check: 'signature',
    proof: () => dpop({ signer: otherKey.privateKey }),
  },
  { name: 'not a JWS', check: 'format', proof: async () => asProof('not-a-proof') },
  {
    name: 'payload is not a JSON object',
    check: 'claims',
    proof: async () => {
      const { signed } = await import('../support/dpop.js');
      return asProof(await signed(content().header, Buffer.from('[1,2]'), key.privateKey));
    },
  },
  {
    name: 'proof over 8 KiB',
    code: status.INVALID_ARGUMENT,
    details: /^dpop\.proof must be at most 8192 bytes$/,
    proof: () => dpop({ claims: { pad: 'x'.repeat(9000) } }),
  },
  {
    name: 'valid proof by another key',
    code: status.PERMISSION_DENIED,
    details: /another key/,
    proof: () => dpop({ key: otherKey }),
  },
  {
    name: 'replay on the same replica',
    check: 'replay',
    proof: async () => {
      const used = await dpop();
      expect((await issue(a, { dpop: used })).error).toBeUndefined();
      return used;
    },
  },
  {
    name: 'replay on the other replica',
    check: 'replay',
    on: () => b,
    proof: async () => {
      const used = await dpop();
      expect((await issue(a, { dpop: used })).error).toBeUndefined();
      return used;
    },
  },
];

describe('the mutation table: every bad proof is refused by its check and consumes nothing', () => {
  it(`has at least 20 bad proofs (${MUTATIONS.length})`, () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(20);
  });

  it('refuses each at RefreshToken with the failed check named; the refresh token still works afterwards', async () => {
    const pair = await boundPair();
    const reuseBefore = (await reuseCount(a)) + (await reuseCount(b));
    const before = { a: await proofResults(a), b: await proofResults(b) };
    for (const m of MUTATIONS) {
      const result = await refresh(m.on?.() ?? a, pair.refresh_token, { dpop: await m.proof() });
      expect(result.error, m.name).toBeDefined();
      if (m.check) {
        expect(result.error?.code, m.name).toBe(status.INVALID_ARGUMENT);
        expect(result.error?.details, m.name).toBe(`dpop proof invalid: ${m.check}`);
      } else {
        expect(result.error?.code, m.name).toBe(m.code);
        expect(result.error?.details, m.name).toMatch(m.details ?? /./);
      }
    }
    // Never counted as reuse, and the same refresh token rotates with a good proof.
    expect((await reuseCount(a)) + (await reuseCount(b))).toBe(reuseBefore);
    const good = await refresh(b, pair.refresh_token, { dpop: await dpop() });
    expect(good.error).toBeUndefined();
    expect(decodeJwt(good.response?.access_token ?? '')['cnf']).toEqual({ jkt: key.jkt });
    // Each replay is counted as exactly that, on the replica that refused it.
    const after = { a: await proofResults(a), b: await proofResults(b) };
    expect((after.a['replay'] ?? 0) - (before.a['replay'] ?? 0)).toBe(1);
    expect((after.b['replay'] ?? 0) - (before.b['replay'] ?? 0)).toBe(1);
  });
});

describe('one proof, many calls', () => {
  it('200 concurrent uses of one proof over two replicas: exactly one accepted', async () => {
    const proof = await dpop();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => issue(i % 2 === 0 ? a : b, { sub: `user-${i}`, dpop: proof })),
    );
    const accepted = results.filter((r) => r.error === undefined);
    expect(accepted).toHaveLength(1);
    for (const r of results.filter((x) => x.error !== undefined)) {
      expect(r.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(r.error?.details).toBe('dpop proof invalid: replay');
    }
  });
});

describe('idempotency', () => {
  it('a retry with a fresh proof by the same key replays the first answer; another key is a mismatch', async () => {
    const md = () => a.client.metadata({ 'x-idempotency-key': `dpop-${Date.now()}-${Math.random()}` });
    const first = md();
    const key1 = String(first.get('x-idempotency-key')[0]);
    const request = { tenant_id: a.tenantId, sub: 'ida' };
    const one = await a.client.call<WireTokenPair>('IssueToken', { ...request, dpop: await dpop() }, first);
    expect(one.error).toBeUndefined();
    const again = a.client.metadata({ 'x-idempotency-key': key1 });
    const two = await a.client.call<WireTokenPair>('IssueToken', { ...request, dpop: await dpop() }, again);
    expect(two.response).toEqual(one.response);
    expect(String(two.headers.get('x-idempotent-replay')[0])).toBe('true');
    const other = a.client.metadata({ 'x-idempotency-key': key1 });
    const three = await a.client.call<WireTokenPair>('IssueToken', { ...request, dpop: await dpop({ key: otherKey }) }, other);
    expect(three.error?.code).toBe(status.FAILED_PRECONDITION);
    // Without a proof it is a different request too: a bound pair is never replayed as a bearer one.
    const bare = await a.client.call<WireTokenPair>('IssueToken', request, a.client.metadata({ 'x-idempotency-key': key1 }));
    expect(bare.error?.code).toBe(status.FAILED_PRECONDITION);
  });
});

describe('resource side: ValidateToken', () => {
  const RESOURCE = { htm: 'GET', htu: 'https://api.example/orders' };
  const validate = (app: TestApp, access_token: string, proof?: { proof: string; htm: string; htu: string }) =>
    app.client.ok<{ active: boolean; reason: string; dpop_jkt: string }>('ValidateToken', {
      tenant_id: app.tenantId,
      access_token,
      ...(proof ? { dpop: proof } : {}),
    });
  const resourceProof = async (token: string, over: Partial<ProofParts> = {}) => ({
    proof: await makeProof(parts({ ...RESOURCE, accessToken: token, ...over })),
    ...RESOURCE,
  });

  it('a bound token is active with a proof by its key carrying its ath, once per proof', async () => {
    const pair = await boundPair();
    const proof = await resourceProof(pair.access_token);
    const active = await validate(a, pair.access_token, proof);
    expect(active).toMatchObject({ active: true, dpop_jkt: key.jkt });
    expect(await validate(b, pair.access_token, proof)).toMatchObject({ active: false, reason: 'dpop_invalid' });
  });

  it('refuses a bound token without a proof, with a wrong ath, without ath, or by another key', async () => {
    const pair = await boundPair();
    expect((await validate(a, pair.access_token)).reason).toBe('dpop_required');
    const wrongAth = await resourceProof(pair.access_token, { claims: { ath: ath('another token') } });
    expect((await validate(a, pair.access_token, wrongAth)).reason).toBe('dpop_invalid');
    const noAth = await resourceProof(pair.access_token, { claims: { ath: undefined } });
    expect((await validate(a, pair.access_token, noAth)).reason).toBe('dpop_invalid');
    const other = await resourceProof(pair.access_token, { key: otherKey });
    expect((await validate(a, pair.access_token, other)).reason).toBe('dpop_invalid');
    const wrongHtu = await resourceProof(pair.access_token, { claims: { htu: 'https://api.example/admin' } });
    expect((await validate(a, pair.access_token, wrongHtu)).reason).toBe('dpop_invalid');
    // The refusals consumed nothing: a good proof still makes the token active.
    expect((await validate(b, pair.access_token, await resourceProof(pair.access_token))).active).toBe(true);
  });
});

/**
 * DPoP with server nonces on (TOKEN_ENGINE_DPOP_NONCE=true) and Envoy's Check: a proof
 * without a nonce is refused with the nonce to use in `dpop-nonce` (a header, and a
 * trailer of the refusal); Check rebuilds `htu` from the request's scheme, host and path
 * and answers a bound token's refusals with the DPoP scheme (`invalid_token` without a
 * proof, `invalid_dpop_proof` with a bad one) and a fresh `dpop-nonce`.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizationClient, type CheckResponse, envoyClient } from '../support/envoy.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { makeProof, type ProofKey, type ProofParts, proofKey } from '../support/dpop.js';
import type { WireTokenPair } from '../support/grpc-client.js';

const HTM = 'POST';
const HTU = 'https://as.example/token';
let t: TestApp;
let envoy: AuthorizationClient;
let key: ProofKey;

beforeAll(async () => {
  t = await startTestApp({
    TOKEN_ENGINE_EXT_AUTHZ: 'true',
    TOKEN_ENGINE_DPOP_NONCE: 'true',
    TOKEN_ENGINE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    TOKEN_ENGINE_LOG_LEVEL: 'warn',
  });
  envoy = envoyClient(t.grpcAddress);
  key = await proofKey('ES256');
});
afterAll(async () => {
  envoy?.close();
  await t?.stop();
});

const now = (): number => Math.floor(Date.now() / 1000);
const proofOf = (over: Partial<ProofParts>) => makeProof({ key, htm: HTM, htu: HTU, iat: now(), ...over });

/** IssueToken with a proof, the nonce learnt from a first refusal. */
async function boundPair(): Promise<WireTokenPair> {
  const first = await t.client.call<WireTokenPair>('IssueToken', {
    tenant_id: t.tenantId,
    sub: 'alice',
    dpop: { proof: await proofOf({}), htm: HTM, htu: HTU },
  });
  expect(first.error?.code).toBe(status.INVALID_ARGUMENT);
  expect(first.error?.details).toBe('dpop proof invalid: nonce');
  const nonce = String(first.error?.metadata.get('dpop-nonce')[0] ?? '');
  expect(nonce).not.toBe('');
  expect(String(first.headers.get('dpop-nonce')[0] ?? '')).toBe(nonce);
  const second = await t.client.call<WireTokenPair>('IssueToken', {
    tenant_id: t.tenantId,
    sub: 'alice',
    dpop: { proof: await proofOf({ nonce }), htm: HTM, htu: HTU },
  });
  expect(second.error).toBeUndefined();
  expect(String(second.headers.get('dpop-nonce')[0] ?? '')).not.toBe('');
  return second.response as WireTokenPair;
}

function checkRequest(headers: Record<string, string>): object {
  return {
    attributes: {
      request: {
        http: { method: 'GET', headers, path: '/orders?page=2', host: 'api.example', scheme: 'https' },
      },
    },
  };
}

async function check(headers: Record<string, string>): Promise<{ code: number; headers: Record<string, string> }> {
  const md = new Metadata();
  md.set('x-api-key', TEST_API_KEY);
  const response = await new Promise<CheckResponse>((resolve, reject) =>
    envoy.Check(checkRequest(headers), md, (err, res) => (err ? reject(err) : resolve(res))),
  );
  const list = response.ok_response?.headers ?? response.denied_response?.headers ?? [];
  return { code: response.status?.code ?? -1, headers: Object.fromEntries(list.map((h) => [h.header.key, h.header.value])) };
}

describe('server nonces and Check', () => {
  it('binds a pair once the client uses the nonce it was handed', async () => {
    const pair = await boundPair();
    expect(decodeJwt(pair.access_token)['cnf']).toEqual({ jkt: key.jkt });
  });

  it('Check allows a bound token with a proof for the request it saw (query ignored), once', async () => {
    const pair = await boundPair();
    const denied = await check({ authorization: `DPoP ${pair.access_token}` });
    expect(denied.code).toBe(status.UNAUTHENTICATED);
    expect(denied.headers['www-authenticate']).toBe('DPoP error="invalid_token"');
    const nonce = denied.headers['dpop-nonce'] ?? '';
    expect(nonce).not.toBe('');

    const proof = await proofOf({ htm: 'GET', htu: 'https://api.example/orders', accessToken: pair.access_token, nonce });
    const ok = await check({ authorization: `DPoP ${pair.access_token}`, dpop: proof });
    expect(ok.code).toBe(status.OK);
    expect(ok.headers['x-token-sub']).toBe('alice');

    const replayed = await check({ authorization: `DPoP ${pair.access_token}`, dpop: proof });
    expect(replayed.code).toBe(status.UNAUTHENTICATED);
    expect(replayed.headers['www-authenticate']).toBe('DPoP error="invalid_dpop_proof"');
    expect(replayed.headers['dpop-nonce']).not.toBeUndefined();

    const wrongPath = await proofOf({ htm: 'GET', htu: 'https://api.example/admin', accessToken: pair.access_token, nonce });
    expect((await check({ authorization: `DPoP ${pair.access_token}`, dpop: wrongPath })).headers['www-authenticate']).toBe(
      'DPoP error="invalid_dpop_proof"',
    );
  });
});

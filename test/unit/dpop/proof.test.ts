/**
 * The proof validator on its own, with the memory replay store and a manual clock: a
 * property test over random valid and mutated proofs (seeded, so a failure replays), the
 * server nonces, and proofs made by the client SDK's prover.
 */
import { generateKeyPair } from 'jose';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDpopProver } from '../../../client/dpop.js';
import { ManualClock } from '../../../src/clock.js';
import { DpopNonces } from '../../../src/dpop/nonce.js';
import { DPOP_CHECKS, type DpopPolicy, verifyDpopProof } from '../../../src/dpop/proof.js';
import { MemoryDpopReplayStore } from '../../../src/store/memory/dpop-replay-store.js';
import {
  hmacSigned,
  makeProof,
  type ProofKey,
  type ProofParts,
  proofContent,
  proofKey,
  signed,
  unsigned,
} from '../../support/dpop.js';

const WINDOW_MS = 60_000;
const ALGS = ['ES256', 'EdDSA', 'PS256', 'RS256'];

let keys: ProofKey[];
let stranger: ProofKey;

beforeAll(async () => {
  keys = await Promise.all(ALGS.map((alg) => proofKey(alg)));
  stranger = await proofKey('ES256');
}, 60_000);

function setup(nonces = false) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const policy: DpopPolicy = {
    algorithms: ALGS,
    iatWindowMs: WINDOW_MS,
    ...(nonces ? { nonces: new DpopNonces(Buffer.alloc(32, 7), WINDOW_MS, clock) } : {}),
  };
  const deps = { replay: new MemoryDpopReplayStore(clock), clock };
  const verify = (proof: string, htm: string, htu: string, accessToken?: string) =>
    verifyDpopProof({ tenantId: 'tenant-a', proof: { proof, htm, htu }, accessToken }, policy, deps);
  return { clock, policy, verify };
}

/** The ways to spoil a valid proof; each must be refused. */
const MUTATIONS = [
  'htm',
  'htu',
  'stale_iat',
  'future_iat',
  'long_jti',
  'no_typ',
  'alg_none',
  'hs256',
  'private_jwk',
  'stranger_signs',
  'tamper_payload',
  'flip_char',
  'ath',
  'replay',
] as const;

describe('verifyDpopProof: property', () => {
  it('accepts every valid proof once and no mutated one (seeded)', async () => {
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');
    const paths = fc.stringMatching(/^\/[a-z0-9/_-]{0,40}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          keyIndex: fc.nat({ max: ALGS.length - 1 }),
          htm: methods,
          path: paths,
          query: fc.option(fc.stringMatching(/^[a-z0-9=&]{1,20}$/), { nil: undefined }),
          iatOffsetS: fc.integer({ min: -59, max: 59 }),
          jti: fc.string({ minLength: 1, maxLength: 128 }),
          withToken: fc.boolean(),
          mutation: fc.option(fc.constantFrom(...MUTATIONS), { nil: undefined, freq: 3 }),
          flipAt: fc.nat(),
        }),
        async (c) => {
          const { clock, verify } = setup();
          const key = keys[c.keyIndex] as ProofKey;
          const htu = `https://rs.example${c.path}`;
          const accessToken = c.withToken ? 'access-token-value' : undefined;
          const parts: ProofParts = {
            key,
            htm: c.htm,
            htu,
            iat: Math.floor(clock.now() / 1000) + c.iatOffsetS,
            jti: c.jti,
            ...(accessToken ? { accessToken } : {}),
          };
          // The request may carry a query: it is not part of what is proven.
          const requestHtu = c.query ? `${htu}?${c.query}` : htu;
          let proof: string;
          let presentedToken = accessToken;
          switch (c.mutation) {
            case undefined:
            case 'replay':
              proof = await makeProof(parts);
              break;
            case 'htm':
              proof = await makeProof({ ...parts, claims: { htm: c.htm === 'GET' ? 'POST' : 'GET' } });
              break;
            case 'htu':
              proof = await makeProof({ ...parts, claims: { htu: `${htu}/x` } });
              break;
            case 'stale_iat':
              proof = await makeProof({ ...parts, iat: Math.floor(clock.now() / 1000) - 61 - (c.flipAt % 1000) });
              break;
            case 'future_iat':
              proof = await makeProof({ ...parts, iat: Math.floor(clock.now() / 1000) + 61 + (c.flipAt % 1000) });
              break;
            case 'long_jti':
              proof = await makeProof({ ...parts, jti: c.jti.padEnd(129, 'x') });
              break;
            case 'no_typ':
              proof = await makeProof({ ...parts, header: { typ: undefined } });
              break;
            case 'alg_none': {
              const { header, claims } = proofContent(parts);
              proof = unsigned(header, claims);
              break;
            }
            case 'hs256': {
              const { header, claims } = proofContent(parts);
              proof = hmacSigned(header, claims, JSON.stringify(key.publicJwk));
              break;
            }
            case 'private_jwk':
              proof = await makeProof({ ...parts, header: { jwk: key.privateJwk } });
              break;
            case 'stranger_signs':
              proof = await makeProof({ ...parts, key: stranger, header: { jwk: key.publicJwk, alg: 'ES256' } });
              break;
            case 'tamper_payload': {
              const [h, , s] = (await makeProof(parts)).split('.');
              const other = proofContent({ ...parts, jti: `${c.jti}!` }).claims;
              proof = `${h}.${Buffer.from(JSON.stringify(other)).toString('base64url')}.${s}`;
              break;
            }
            case 'flip_char': {
              const good = await makeProof(parts);
              const i = c.flipAt % good.length;
              const flipped = good[i] === 'A' ? 'B' : 'A';
              proof = good.slice(0, i) + flipped + good.slice(i + 1);
              // A flip that decodes to the same bytes (spare bits of a last character) is the same proof.
              const same = good.split('.').every((seg, n) => {
                const other = proof.split('.')[n];
                return other !== undefined && Buffer.from(seg, 'base64url').equals(Buffer.from(other, 'base64url'));
              });
              fc.pre(!same && proof.split('.').length === 3);
              break;
            }
            case 'ath':
              proof = await makeProof(parts);
              presentedToken = `${accessToken ?? 'a'}-other`;
              break;
          }
          const first = await verify(proof, c.htm, requestHtu, presentedToken);
          if (c.mutation === undefined || c.mutation === 'replay') {
            expect(first).toEqual({ ok: true, jkt: key.jkt, jti: c.jti });
            const again = await verify(proof, c.htm, requestHtu, presentedToken);
            expect(again).toEqual({ ok: false, check: 'replay' });
          } else {
            expect(first.ok, `${c.mutation} was accepted`).toBe(false);
            if (!first.ok) expect(DPOP_CHECKS).toContain(first.check);
          }
        },
      ),
      { seed: 1_349_2026, numRuns: 300 },
    );
  }, 120_000);
});

describe('verifyDpopProof: checks', () => {
  it('ignores the query and fragment of htu, and normalises scheme and host case and default ports', async () => {
    const { clock, verify } = setup();
    const key = keys[0] as ProofKey;
    const iat = Math.floor(clock.now() / 1000);
    const proof = await makeProof({ key, htm: 'GET', htu: 'HTTPS://RS.example:443/a?x=1#f', iat });
    expect((await verify(proof, 'GET', 'https://rs.example/a?y=2')).ok).toBe(true);
  });

  it('accepts iat at the edge of the window each way, not a second beyond', async () => {
    const { clock, verify } = setup();
    const key = keys[0] as ProofKey;
    const now = Math.floor(clock.now() / 1000);
    const at = async (iat: number) =>
      verify(await makeProof({ key, htm: 'GET', htu: 'https://rs.example/', iat }), 'GET', 'https://rs.example/');
    expect((await at(now - 60)).ok).toBe(true);
    expect((await at(now + 60)).ok).toBe(true);
    expect(await at(now - 61)).toEqual({ ok: false, check: 'iat' });
    expect(await at(now + 61)).toEqual({ ok: false, check: 'iat' });
  });

  it('keeps a jti for twice the window: a proof dated ahead cannot be replayed while it is acceptable', async () => {
    const { clock, verify } = setup();
    const key = keys[0] as ProofKey;
    const proof = await makeProof({ key, htm: 'GET', htu: 'https://rs.example/', iat: Math.floor(clock.now() / 1000) + 60 });
    expect((await verify(proof, 'GET', 'https://rs.example/')).ok).toBe(true);
    clock.advance(119_000);
    expect(await verify(proof, 'GET', 'https://rs.example/')).toEqual({ ok: false, check: 'replay' });
    clock.advance(2_000);
    expect(await verify(proof, 'GET', 'https://rs.example/')).toEqual({ ok: false, check: 'iat' });
  });

  it('refuses a payload that is not a JSON object, and a proof over 8 KiB', async () => {
    const { clock, verify } = setup();
    const key = keys[0] as ProofKey;
    const parts = { key, htm: 'GET', htu: 'https://rs.example/', iat: Math.floor(clock.now() / 1000) };
    expect(
      await verify(await signed(proofContent(parts).header, Buffer.from('"text"'), key.privateKey), 'GET', parts.htu),
    ).toEqual({
      ok: false,
      check: 'claims',
    });
    const big = await makeProof({ ...parts, claims: { pad: 'x'.repeat(8200) } });
    expect(await verify(big, 'GET', parts.htu)).toEqual({ ok: false, check: 'size' });
  });
});

describe('server nonces', () => {
  it('requires a nonce handed out in this step or the previous one, by any replica sharing the key', async () => {
    const { clock, policy, verify } = setup(true);
    const key = keys[0] as ProofKey;
    const replica = new DpopNonces(Buffer.alloc(32, 7), WINDOW_MS, clock);
    const stranger = new DpopNonces(Buffer.alloc(32, 8), WINDOW_MS, clock);
    const proofWith = async (nonce?: string) =>
      makeProof({
        key,
        htm: 'GET',
        htu: 'https://rs.example/',
        iat: Math.floor(clock.now() / 1000),
        ...(nonce ? { nonce } : {}),
      });
    expect(await verify(await proofWith(), 'GET', 'https://rs.example/')).toEqual({ ok: false, check: 'nonce' });
    expect(await verify(await proofWith(stranger.current()), 'GET', 'https://rs.example/')).toEqual({
      ok: false,
      check: 'nonce',
    });
    expect(await verify(await proofWith('garbage'), 'GET', 'https://rs.example/')).toEqual({ ok: false, check: 'nonce' });
    const nonce = replica.current();
    expect(policy.nonces?.current()).toBe(nonce);
    expect((await verify(await proofWith(nonce), 'GET', 'https://rs.example/')).ok).toBe(true);
    clock.advance(WINDOW_MS);
    expect((await verify(await proofWith(nonce), 'GET', 'https://rs.example/')).ok).toBe(true);
    clock.advance(WINDOW_MS);
    expect(await verify(await proofWith(nonce), 'GET', 'https://rs.example/')).toEqual({ ok: false, check: 'nonce' });
  });
});

describe('client SDK prover', () => {
  it('makes proofs the validator accepts, with ath and nonce, and names the thumbprint', async () => {
    const clock = new ManualClock(Date.now());
    const policy: DpopPolicy = { algorithms: ALGS, iatWindowMs: WINDOW_MS, nonces: new DpopNonces(undefined, WINDOW_MS, clock) };
    const deps = { replay: new MemoryDpopReplayStore(clock), clock };
    for (const alg of ['ES256', 'EdDSA']) {
      const prover = await createDpopProver(await generateKeyPair(alg), alg);
      const nonce = policy.nonces?.current();
      const dpop = await prover.forRequest({
        htm: 'GET',
        htu: 'https://rs.example/r',
        accessToken: 'tok',
        ...(nonce ? { nonce } : {}),
      });
      expect(await verifyDpopProof({ tenantId: 't', proof: dpop, accessToken: 'tok' }, policy, deps)).toMatchObject({
        ok: true,
        jkt: prover.jkt,
      });
    }
  });
});

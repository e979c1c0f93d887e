// The verification ceiling: jose verifies a token like ours with an imported public key,
// 64 verifications in flight so WebCrypto spreads them over the libuv pool (every core).
// Usage: node dist/bench/bench/verify-ceiling.js <RS256|ES256|EdDSA> <durationMs>
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';

/** The JSON line printed at the end. */
export interface VerifyResult {
  readonly alg: string;
  readonly rps: number;
}

const alg = process.argv[2] ?? 'RS256';
const durationMs = Number(process.argv[3] ?? 3000);
const { privateKey, publicKey } =
  alg === 'RS256'
    ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
    : alg === 'ES256'
      ? await generateKeyPair('ES256', { extractable: true })
      : await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
// Through a JWK, as a verifier gets the key from the JWKS.
const key = await importJWK(await exportJWK(publicKey), alg);
const iat = Math.floor(Date.now() / 1000);
const token = await new SignJWT({
  role: 'reader',
  iss: 'bench',
  sub: 'bench-user-1',
  aud: ['bench-api'],
  iat,
  nbf: iat,
  exp: iat + 900,
  jti: randomUUID(),
  sid: 'AAAAAAAAAAAAAAAAAAAAAA',
  rsq: 1,
})
  .setProtectedHeader({ alg, kid: 'k', typ: 'JWT' })
  .sign(privateKey);
const options = { algorithms: [alg], issuer: 'bench', clockTolerance: 60 };
for (let i = 0; i < 200; i++) await jwtVerify(token, key, options);
let count = 0;
const deadline = Date.now() + durationMs;
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (Date.now() < deadline) {
      await jwtVerify(token, key, options);
      count++;
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const result: VerifyResult = { alg, rps: count / seconds };
console.log(JSON.stringify(result));

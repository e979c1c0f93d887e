// The signing ceiling: jose signs the same claims with an imported key, `concurrency`
// signatures in flight so WebCrypto spreads them over the libuv pool (every core).
// Usage: node dist/bench/bench/sign-ceiling.js <RS256|ES256|EdDSA> <durationMs>
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';

/** The JSON line printed at the end. */
export interface SignResult {
  readonly alg: string;
  readonly rps: number;
  readonly tokenLength: number;
}

const alg = process.argv[2] ?? 'RS256';
const durationMs = Number(process.argv[3] ?? 3000);
const { privateKey } =
  alg === 'RS256'
    ? await generateKeyPair('RS256', { modulusLength: 2048 })
    : alg === 'ES256'
      ? await generateKeyPair('ES256')
      : await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const sign = (): Promise<string> => {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    role: 'reader',
    org: 'bench',
    iss: 'bench',
    sub: 'bench-user-1',
    aud: ['api'],
    iat,
    nbf: iat,
    exp: iat + 900,
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg, kid: 'k', typ: 'JWT' })
    .sign(privateKey);
};
let length = 0;
for (let i = 0; i < 200; i++) length = (await sign()).length;
let count = 0;
const deadline = Date.now() + durationMs;
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (Date.now() < deadline) {
      await sign();
      count++;
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const result: SignResult = { alg, rps: count / seconds, tokenLength: length };
console.log(JSON.stringify(result));

// Main-thread CPU per access-token signature for the ways the sealed-key signer could sign:
// jose's SignJWT (WebCrypto), the token assembled here and signed with WebCrypto's
// subtle.sign, or with node:crypto's one-shot sign in its callback form (the libuv pool).
// or in its synchronous form (on the event loop). `in flight` signatures at a time, like a
// busy service. Prints one JSON line per path.
// Usage: node dist/bench/bench/sign-path.js <RS256|ES256|EdDSA> [count] [in flight]
import { createPrivateKey, type JsonWebKey, randomUUID, sign as cryptoSign, webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';

/** The JSON line printed per path. */
export interface SignPathResult {
  readonly alg: string;
  readonly path: string;
  /** Main-thread CPU per signature (process.threadCpuUsage). */
  readonly mainUsPerSign: number;
  /** Whole-process CPU per signature (process.cpuUsage: the main thread and the pool). */
  readonly processUsPerSign: number;
  readonly rps: number;
}

const alg = process.argv[2] ?? 'ES256';
const count = Number(process.argv[3] ?? 4000);
const inFlight = Number(process.argv[4] ?? 64);
const generated =
  alg === 'RS256'
    ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
    : alg === 'ES256'
      ? await generateKeyPair('ES256', { extractable: true })
      : await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const jwk = await exportJWK(generated.privateKey);
const cryptoKey = (await importJWK({ ...jwk, ext: false }, alg)) as CryptoKey;
const keyObject = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
const header = { alg, kid: 'k', typ: 'JWT' };
const claims = (): Record<string, unknown> => {
  const iat = Math.floor(Date.now() / 1000);
  return { role: 'reader', iss: 'bench', sub: 'bench-user-1', aud: ['api'], iat, nbf: iat, exp: iat + 900, jti: randomUUID() };
};
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const assemble = async (sign: (data: Buffer) => Promise<Uint8Array>): Promise<string> => {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims()))}`;
  return `${input}.${Buffer.from(await sign(Buffer.from(input, 'ascii'))).toString('base64url')}`;
};
const subtleParams =
  alg === 'RS256' ? { name: 'RSASSA-PKCS1-v1_5' } : alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
const nodeKey = alg === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' as const } : keyObject;

const paths: Record<string, () => Promise<string>> = {
  'jose SignJWT (WebCrypto)': () => new SignJWT(claims()).setProtectedHeader(header).sign(cryptoKey),
  'assembled + subtle.sign': () =>
    assemble(async (data) => new Uint8Array(await webcrypto.subtle.sign(subtleParams, cryptoKey as webcrypto.CryptoKey, data))),
  'assembled + crypto.sign (callback)': () =>
    assemble(
      (data) =>
        new Promise((resolve, reject) =>
          cryptoSign(alg === 'EdDSA' ? null : 'sha256', data, nodeKey, (err, sig) => (err ? reject(err) : resolve(sig))),
        ),
    ),
  // The same one-shot sign without a callback: the signature is computed on the event loop.
  'assembled + crypto.sign (sync)': () => assemble(async (data) => cryptoSign(alg === 'EdDSA' ? null : 'sha256', data, nodeKey)),
};

for (const [path, sign] of Object.entries(paths)) {
  for (let i = 0; i < 200; i++) await sign();
  let left = count;
  const main0 = process.threadCpuUsage();
  const proc0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (left-- > 0) await sign();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const main = process.threadCpuUsage(main0);
  const proc = process.cpuUsage(proc0);
  const result: SignPathResult = {
    alg,
    path,
    mainUsPerSign: (main.user + main.system) / count,
    processUsPerSign: (proc.user + proc.system) / count,
    rps: count / seconds,
  };
  console.log(JSON.stringify(result));
}

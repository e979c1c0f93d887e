// The local verifier's per-token cost next to bare jose.jwtVerify on the same token and
// key, one verification at a time (the cost a request pays), in alternating rounds.
// Usage: node dist/bench/bench/verifier-bench.js '<json: grpc, http, tenantId, apiKey, durationMs>'
import { importJWK, type JWK, jwtVerify } from 'jose';
import { createClient } from '../client/client.js';
import { createVerifier } from '../client/verifier.js';

/** The JSON line printed at the end. */
export interface VerifierBenchResult {
  /** Mean microseconds per token. */
  readonly joseUs: number;
  readonly verifierUs: number;
  /** verifier / jose. */
  readonly ratio: number;
  readonly calls: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as {
  grpc: string;
  http: string;
  tenantId: string;
  apiKey: string;
  durationMs?: number;
};
const durationMs = o.durationMs ?? 3000;
const jwksUrl = `${o.http}/tenants/${encodeURIComponent(o.tenantId)}/.well-known/jwks.json`;
const client = createClient({ address: o.grpc, apiKey: o.apiKey });
const verifier = createVerifier({ address: o.grpc, apiKey: o.apiKey, tenant: o.tenantId, jwksUrl });
await verifier.ready();
const { accessToken } = await client.issueToken({ tenantId: o.tenantId, sub: 'bench-verifier', claims: { role: 'reader' } });
const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
const kid = JSON.parse(Buffer.from(accessToken.split('.')[0] ?? '', 'base64url').toString()).kid as string;
const jwk = jwks.keys.find((k) => k.kid === kid);
if (!jwk?.alg) throw new Error('the token key is not in the JWKS');
const key = await importJWK(jwk, jwk.alg);

/** Mean µs per call of `fn` over `ms`, one call at a time. */
async function time(fn: () => Promise<unknown>, ms: number): Promise<{ us: number; calls: number }> {
  let calls = 0;
  const deadline = Date.now() + ms;
  const t0 = process.hrtime.bigint();
  while (Date.now() < deadline) {
    for (let i = 0; i < 50; i++) await fn();
    calls += 50;
  }
  return { us: Number(process.hrtime.bigint() - t0) / 1e3 / calls, calls };
}

const bare = () => jwtVerify(accessToken, key);
const local = async () => {
  const result = await verifier.verify(accessToken);
  if (!result.active) throw new Error(`the verifier refused the token: ${result.reason}`);
};
for (let i = 0; i < 500; i++) {
  await bare();
  await local();
}
const rounds = 6;
let joseUs = 0;
let verifierUs = 0;
let calls = 0;
for (let r = 0; r < rounds; r++) {
  const a = await time(bare, durationMs / rounds / 2);
  const b = await time(local, durationMs / rounds / 2);
  joseUs += a.us / rounds;
  verifierUs += b.us / rounds;
  calls += a.calls + b.calls;
}
verifier.close();
client.close();
const result: VerifierBenchResult = { joseUs, verifierUs, ratio: verifierUs / joseUs, calls };
console.log(JSON.stringify(result));

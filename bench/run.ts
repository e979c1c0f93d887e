// `make bench`: the service under load next to the ceilings of the work it does, measured
// in the same run on the same machine. Prints tables; quote the ratios, not the absolute
// numbers (the machine is shared and noisy). Medians of BENCH_REPEATS runs (default 3).
//
// The same run measures the peer a user would pick instead (node-oidc-provider issuing JWT
// access tokens through client_credentials, bench/peer-oidc.ts) at 64 in flight, and prints
// IssueToken's throughput over it.
//
// Environment: REDIS_URL (else a throwaway redis-server), BENCH_REPEATS, BENCH_SECONDS,
// BENCH_WORKERS (e.g. "1,2" to compare TOKEN_ENGINE_WORKERS settings), BENCH_LOG_LEVEL
// (default info, the product default: the service writes its access line per RPC to a pipe
// the bench drains).
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import type { HttpLoadResult } from './http-loadgen.js';
import {
  benchScript,
  cpuSeconds,
  freePort,
  median,
  pidOf,
  type RunningService,
  rssMiB,
  runNode,
  startRedis,
  startService,
} from './lib.js';
import type { LoadMode, LoadResult } from './loadgen.js';
import type { RedisCeilingResult } from './redis-ceiling.js';
import type { SignResult } from './sign-ceiling.js';
import type { VerifierBenchResult } from './verifier-bench.js';
import type { VerifyResult } from './verify-ceiling.js';

const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const WORKERS = (process.env['BENCH_WORKERS'] ?? '1,2').split(',').map(Number);
const durationMs = SECONDS * 1000;
const API_KEY = 'bench-key';

/** A load run with the service's (or the peer's) CPU and memory read around its timed phase. */
type ScenarioResult = (LoadResult | HttpLoadResult) & {
  readonly cpuCores: number;
  readonly cpuMsPerCall: number;
  readonly rssMiB: number;
};

/** One row of the RPC table. */
type RpcRow = ScenarioResult & {
  readonly workers: number;
  readonly alg: string;
  readonly rpc: string;
  readonly ceiling: number | undefined;
  readonly ratio: number | undefined;
};

/** The peer's row name in the RPC table. */
const PEER_ROW = 'peer: oidc-provider client_credentials (JWT)';

const redis = await startRedis();
const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  ceilings: {} as Record<string, number>,
  rpc: [] as RpcRow[],
  verifier: [] as (VerifierBenchResult & { alg: string })[],
  targets: [] as { name: string; value: number | undefined; target: string; ok: boolean }[],
};

const progress = (text: string): boolean => process.stderr.write(`[bench] ${text}\n`);

/** Runs `fn` REPEATS times; numbers are the medians of the runs, anything else the first run's. */
async function medianOf<T extends object>(fn: () => Promise<T>): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await fn());
  const [first] = runs;
  if (first === undefined) throw new Error('BENCH_REPEATS must be at least 1');
  const pick = (k: string): number => median(runs.map((r) => Number(Reflect.get(r, k))));
  return Object.fromEntries(Object.entries(first).map(([k, v]) => [k, typeof v === 'number' ? pick(k) : v])) as T;
}

// ---- Ceilings -----------------------------------------------------------------------
async function echoCeiling(tokenLength: number, mode: LoadMode = 'echo'): Promise<LoadResult> {
  const child = spawn(process.execPath, [benchScript('echo-server'), String(tokenLength)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)),
  );
  try {
    return await medianOf(() =>
      runNode<LoadResult>('loadgen', [
        JSON.stringify({
          target: `127.0.0.1:${port}`,
          mode,
          concurrency: 64,
          durationMs,
          maxCalls: 1e9,
          tenantId: 'x',
          tokenLength,
        }),
      ]),
    );
  } finally {
    child.kill();
  }
}
for (const alg of ['RS256', 'ES256']) {
  progress(`ceilings ${alg}`);
  const sign = await medianOf(() => runNode<SignResult>('sign-ceiling', [alg, String(durationMs)]));
  results.ceilings[`sign_${alg}`] = sign.rps;
  results.ceilings[`grpc_${alg}`] = (await echoCeiling(sign.tokenLength)).rps;
  results.ceilings[`verify_${alg}`] = (
    await medianOf(() => runNode<VerifyResult>('verify-ceiling', [alg, String(durationMs)]))
  ).rps;
  results.ceilings[`grpc_validate_${alg}`] = (await echoCeiling(sign.tokenLength, 'echo-validate')).rps;
  results.ceilings[`grpc_check_${alg}`] = (await echoCeiling(sign.tokenLength, 'echo-check')).rps;
}
results.ceilings['redis_issue'] = (
  await medianOf(() => runNode<RedisCeilingResult>('redis-ceiling', [redis.url, 'issue', String(durationMs)]))
).rps;
results.ceilings['redis_refresh'] = (
  await medianOf(() => runNode<RedisCeilingResult>('redis-ceiling', [redis.url, 'refresh', String(durationMs)]))
).rps;
results.ceilings['redis_validate'] = (
  await medianOf(() => runNode<RedisCeilingResult>('redis-ceiling', [redis.url, 'validate', String(durationMs)]))
).rps;
results.ceilings['redis_exchange'] = (
  await medianOf(() => runNode<RedisCeilingResult>('redis-ceiling', [redis.url, 'exchange', String(durationMs)]))
).rps;

const ceilingOf = (name: string): number => results.ceilings[name] ?? Number.NaN;
const composed = (...rates: number[]): number => 1 / rates.reduce((sum, r) => sum + 1 / r, 0);

// ---- The service ----------------------------------------------------------------------
/**
 * Refresh and revoke need one fresh token per call, seeded before timing: seed a little
 * more than the fastest rate seen on a small machine can use in the run.
 */
function callBudget(mode: LoadMode, concurrency: number): number {
  // Pre-made per call: DPoP proofs (each jti once) and refresh or revoke tokens.
  if (mode === 'issue-dpop') return Math.ceil(SECONDS * 4_000);
  if (mode !== 'refresh' && mode !== 'revoke') return 10_000_000;
  return Math.ceil(SECONDS * (concurrency === 1 ? 2_500 : 10_000));
}

async function scenario(
  svc: RunningService,
  tenantId: string,
  mode: LoadMode,
  concurrency: number,
  extra: { userId?: string } = {},
): Promise<ScenarioResult> {
  progress(`${mode} @${concurrency}`);
  return medianOf(async () => {
    let cpu0 = 0;
    const r = await runNode<LoadResult>(
      'loadgen',
      [
        JSON.stringify({
          target: svc.grpc,
          mode,
          concurrency,
          durationMs,
          maxCalls: callBudget(mode, concurrency),
          tenantId,
          apiKey: API_KEY,
          ...extra,
        }),
      ],
      {},
      (line) => {
        if (line.includes('"phase":"timed"')) cpu0 = cpuSeconds(svc.pid);
      },
    );
    const cpu = cpuSeconds(svc.pid) - cpu0;
    if (r.errors > 0) throw new Error(`${mode}@${concurrency}: ${r.errors} errors, first: ${r.firstError}`);
    // The timed phase ends when the last call returns; the reading follows within a few ms.
    return { ...r, cpuCores: cpu / r.seconds, cpuMsPerCall: (cpu * 1000) / r.calls, rssMiB: rssMiB(svc.pid) };
  });
}

/**
 * node-oidc-provider's token endpoint under the same load shape as IssueToken @64: one
 * process, the same algorithm, 64 calls in flight (64 keep-alive HTTP/1.1 connections), its
 * CPU read around the timed phase the same way.
 */
async function peerScenario(alg: string): Promise<ScenarioResult> {
  const port = await freePort();
  const child = spawn(process.execPath, [benchScript('peer-oidc'), String(port), alg], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = pidOf(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`peer-oidc exited ${code} before listening`)));
  });
  progress(`peer: oidc-provider ${alg} @64`);
  try {
    return await medianOf(async () => {
      let cpu0 = 0;
      const r = await runNode<HttpLoadResult>(
        'http-loadgen',
        [
          JSON.stringify({
            url: `http://127.0.0.1:${port}/token`,
            body: 'grant_type=client_credentials&scope=api',
            authorization: `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`,
            concurrency: 64,
            durationMs,
            maxCalls: 10_000_000,
          }),
        ],
        {},
        (line) => {
          if (line.includes('"phase":"timed"')) cpu0 = cpuSeconds(pid);
        },
      );
      const cpu = cpuSeconds(pid) - cpu0;
      if (r.errors > 0) throw new Error(`peer ${alg}: ${r.errors} errors, first: ${r.firstError}`);
      return { ...r, cpuCores: cpu / r.seconds, cpuMsPerCall: (cpu * 1000) / r.calls, rssMiB: rssMiB(pid) };
    });
  } finally {
    child.kill('SIGTERM');
  }
}

for (const workers of WORKERS) {
  for (const alg of ['RS256', 'ES256']) {
    const tenantId = `bench-${alg}-${randomUUID().slice(0, 8)}`;
    const svc = await startService({
      TOKEN_ENGINE_ISSUER: tenantId,
      TOKEN_ENGINE_AUDIENCE: 'bench-api',
      TOKEN_ENGINE_TLS_MODE: 'disabled',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=bench`,
      TOKEN_ENGINE_REDIS_URL: redis.url,
      TOKEN_ENGINE_SIGNING_ALG: alg,
      TOKEN_ENGINE_WORKERS: String(workers),
      TOKEN_ENGINE_EXT_AUTHZ: 'true',
      TOKEN_ENGINE_LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'info',
      TOKEN_ENGINE_API_KEY_PEPPER: randomBytes(32).toString('base64'),
    });
    try {
      const row = (rpc: string, concurrency: number, r: ScenarioResult, ceiling?: number): number => {
        const { concurrency: _measured, ...measured } = r;
        return results.rpc.push({
          workers,
          alg,
          rpc,
          concurrency,
          ...measured,
          ceiling,
          ratio: ceiling ? r.rps / ceiling : undefined,
        });
      };
      const issueCeiling = composed(ceilingOf(`sign_${alg}`), ceilingOf(`grpc_${alg}`), ceilingOf('redis_issue'));
      const refreshCeiling = composed(ceilingOf(`sign_${alg}`), ceilingOf(`grpc_${alg}`), ceilingOf('redis_refresh'));
      // Further worker counts are compared on the headline RPCs only.
      const levels = workers === WORKERS[0] ? [1, 16, 64] : [64];
      for (const c of levels)
        row('IssueToken', c, await scenario(svc, tenantId, 'issue', c), c === 64 ? issueCeiling : undefined);
      // The peer right after IssueToken @64, so both see the machine in the same state.
      if (workers === WORKERS[0]) row(PEER_ROW, 64, await peerScenario(alg));
      for (const c of levels)
        row('RefreshToken', c, await scenario(svc, tenantId, 'refresh', c), c === 64 ? refreshCeiling : undefined);
      if (workers !== WORKERS[0]) continue;
      // Validation: signature + one Redis round trip + gRPC, against those three measured alone.
      const validateCeiling = composed(
        ceilingOf(`verify_${alg}`),
        ceilingOf(`grpc_validate_${alg}`),
        ceilingOf('redis_validate'),
      );
      const checkCeiling = composed(ceilingOf(`verify_${alg}`), ceilingOf(`grpc_check_${alg}`), ceilingOf('redis_validate'));
      for (const c of [16, 64])
        row('ValidateToken', c, await scenario(svc, tenantId, 'validate', c), c === 64 ? validateCeiling : undefined);
      // ExchangeApiKey: one Redis round trip (the key) and a signature, like IssueToken's work.
      const exchangeCeiling = composed(ceilingOf(`sign_${alg}`), ceilingOf(`grpc_${alg}`), ceilingOf('redis_exchange'));
      for (const c of [16, 64])
        row('ExchangeApiKey', c, await scenario(svc, tenantId, 'exchange', c), c === 64 ? exchangeCeiling : undefined);
      for (const c of [16, 64])
        row('Check (ext_authz)', c, await scenario(svc, tenantId, 'check', c), c === 64 ? checkCeiling : undefined);
      progress(`verifier vs jwtVerify (${alg})`);
      results.verifier.push({
        alg,
        ...(await medianOf(() =>
          runNode<VerifierBenchResult>('verifier-bench', [
            JSON.stringify({ grpc: svc.grpc, http: svc.http, tenantId, apiKey: API_KEY, durationMs }),
          ]),
        )),
      });
      row('IssueToken (idempotent replay)', 64, await scenario(svc, tenantId, 'issue-replay', 64));
      row('IssueToken (DPoP ES256 proof)', 64, await scenario(svc, tenantId, 'issue-dpop', 64));
      for (const c of [16, 64]) row('RevokeToken', c, await scenario(svc, tenantId, 'revoke', c));
      for (const [rpc, mode] of [
        ['RevokeAllUserTokens', 'revoke-user'],
        ['RevokeAllForAudience', 'revoke-audience'],
        ['RevokeAllForUserAndAudience', 'revoke-user-audience'],
      ] as const) {
        for (const c of [16, 64]) row(rpc, c, await scenario(svc, tenantId, mode, c));
      }
      if (workers === WORKERS[0] && alg === 'ES256') {
        await runNode('loadgen', [
          JSON.stringify({ target: svc.grpc, mode: 'seed-user', count: 10_000, userId: 'heavy', tenantId, apiKey: API_KEY }),
        ]);
        await runNode('loadgen', [
          JSON.stringify({ target: svc.grpc, mode: 'seed-user', count: 1, userId: 'light', tenantId, apiKey: API_KEY }),
        ]);
        row(
          'RevokeAllUserTokens (user with 10,000 tokens)',
          1,
          await scenario(svc, tenantId, 'revoke-user', 1, { userId: 'heavy' }),
        );
        row('RevokeAllUserTokens (user with 1 token)', 1, await scenario(svc, tenantId, 'revoke-user', 1, { userId: 'light' }));
      }
    } finally {
      await svc.stop();
    }
  }
}
await redis.stop();

// ---- Report ---------------------------------------------------------------------------
const f = (n: number | undefined, d = 0): string => (n === undefined || Number.isNaN(n) ? '' : n.toFixed(d));
console.log(
  `\nmachine: ${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}; medians of ${REPEATS} runs of ${SECONDS} s\n`,
);
console.log('ceilings (calls/s)');
for (const [k, v] of Object.entries(results.ceilings)) console.log(`  ${k.padEnd(16)} ${f(v)}`);
console.log(
  '\n| workers | alg | RPC | in flight | calls/s | p50 ms | p90 ms | p99 ms | service CPU (cores) | CPU ms/call | RSS MiB | composed ceiling | ratio |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results.rpc) {
  console.log(
    `| ${r.workers} | ${r.alg} | ${r.rpc} | ${r.concurrency} | ${f(r.rps)} | ${f(r.p50, 2)} | ${f(r.p90, 2)} | ${f(r.p99, 2)} | ${f(r.cpuCores, 2)} | ${f(r.cpuMsPerCall, 3)} | ${f(r.rssMiB)} | ${f(r.ceiling)} | ${f(r.ratio, 2)} |`,
  );
}
console.log('\n| alg | bare jose.jwtVerify µs/token | createVerifier().verify µs/token | ratio |');
console.log('|---|---|---|---|');
for (const v of results.verifier) console.log(`| ${v.alg} | ${f(v.joseUs, 1)} | ${f(v.verifierUs, 1)} | ${f(v.ratio, 2)} |`);
const find = (alg: string, rpc: string, c: number, workers = WORKERS[0]): RpcRow | undefined =>
  results.rpc.find((r) => r.alg === alg && r.rpc === rpc && r.concurrency === c && r.workers === workers);
const check = (name: string, value: number | undefined, target: string, ok: boolean): number =>
  results.targets.push({ name, value, target, ok });
check(
  'IssueToken RS256 @64 / composed ceiling',
  find('RS256', 'IssueToken', 64)?.ratio,
  '≥ 0.85',
  (find('RS256', 'IssueToken', 64)?.ratio ?? 0) >= 0.85,
);
check(
  'IssueToken ES256 @64 / composed ceiling',
  find('ES256', 'IssueToken', 64)?.ratio,
  '≥ 0.65',
  (find('ES256', 'IssueToken', 64)?.ratio ?? 0) >= 0.65,
);
for (const alg of ['ES256', 'RS256']) {
  const v = (find(alg, 'IssueToken', 64)?.rps ?? 0) / (find(alg, PEER_ROW, 64)?.rps ?? Number.NaN);
  check(
    `IssueToken ${alg} @64 / peer (oidc-provider) @64, same run`,
    v,
    alg === 'ES256' ? '≥ 1.5' : 'informational',
    alg !== 'ES256' || v >= 1.5,
  );
}
check(
  'ES256 IssueToken service CPU per call @64 (ms)',
  find('ES256', 'IssueToken', 64)?.cpuMsPerCall,
  '≤ 0.25',
  (find('ES256', 'IssueToken', 64)?.cpuMsPerCall ?? Infinity) <= 0.25,
);
check(
  'ES256 IssueToken p50 @1 (ms)',
  find('ES256', 'IssueToken', 1)?.p50,
  '≤ 0.6',
  (find('ES256', 'IssueToken', 1)?.p50 ?? Infinity) <= 0.6,
);
for (const alg of ['RS256', 'ES256']) {
  const v = (find(alg, 'RefreshToken', 64)?.rps ?? 0) / (find(alg, 'IssueToken', 64)?.rps ?? 1);
  check(`RefreshToken / IssueToken throughput @64 (${alg})`, v, '≥ 0.90', v >= 0.9);
}
check(
  'ES256 IssueToken p99 @16 (ms)',
  find('ES256', 'IssueToken', 16)?.p99,
  '≤ 10',
  (find('ES256', 'IssueToken', 16)?.p99 ?? Infinity) <= 10,
);
const lastRss = results.rpc.filter((r) => r.workers === WORKERS[0] && r.rpc !== PEER_ROW).at(-1)?.rssMiB;
check('service RSS after the standard bench (MiB)', lastRss, '≤ 160', (lastRss ?? Infinity) <= 160);
const heavy = find('ES256', 'RevokeAllUserTokens (user with 10,000 tokens)', 1);
const light = find('ES256', 'RevokeAllUserTokens (user with 1 token)', 1);
check(
  'RevokeAllUserTokens p50: 10,000 tokens / 1 token',
  (heavy?.p50 ?? 0) / (light?.p50 ?? 1),
  '≈ 1 (within noise, ≤ 1.3)',
  (heavy?.p50 ?? 0) / (light?.p50 ?? 1) <= 1.3,
);
for (const alg of ['RS256', 'ES256']) {
  const v =
    (find(alg, 'IssueToken (idempotent replay)', 64)?.cpuMsPerCall ?? NaN) / (find(alg, 'IssueToken', 64)?.cpuMsPerCall ?? NaN);
  check(`replay CPU per call / fresh IssueToken CPU per call (${alg})`, v, '≤ 0.33', v <= 1 / 3);
}
for (const alg of ['RS256', 'ES256']) {
  for (const rpc of ['ValidateToken', 'Check (ext_authz)']) {
    const ratio = find(alg, rpc, 64)?.ratio;
    check(`${rpc} ${alg} @64 / composed ceiling`, ratio, '≥ 0.60', (ratio ?? 0) >= 0.6);
  }
  const v = results.verifier.find((r) => r.alg === alg)?.ratio;
  check(`local verifier / bare jwtVerify per token (${alg})`, v, '≤ 1.20', (v ?? Infinity) <= 1.2);
}
// A DPoP proof is one more signature check (and one SET NX): reported, not a target.
for (const alg of ['RS256', 'ES256']) {
  const dpop = find(alg, 'IssueToken (DPoP ES256 proof)', 64);
  const plain = find(alg, 'IssueToken', 64);
  check(`IssueToken with DPoP / without, calls/s @64 (${alg})`, (dpop?.rps ?? NaN) / (plain?.rps ?? NaN), 'informational', true);
  check(
    `IssueToken with DPoP / without, CPU per call @64 (${alg})`,
    (dpop?.cpuMsPerCall ?? NaN) / (plain?.cpuMsPerCall ?? NaN),
    'informational',
    true,
  );
}
if (WORKERS.length > 1) {
  for (const alg of ['RS256', 'ES256']) {
    const v = (find(alg, 'IssueToken', 64, WORKERS[1])?.rps ?? 0) / (find(alg, 'IssueToken', 64, WORKERS[0])?.rps ?? 1);
    check(`IssueToken @64 with ${WORKERS[1]} workers / ${WORKERS[0]} (${alg})`, v, 'informational', true);
  }
}
console.log('\n| target | measured | wanted | met |');
console.log('|---|---|---|---|');
for (const t of results.targets) console.log(`| ${t.name} | ${f(t.value, 2)} | ${t.target} | ${t.ok ? 'yes' : 'no'} |`);
console.log(`\n${JSON.stringify(results)}`);

// IssueToken with the PKCS#11 signer (SoftHSM2) next to the sealed-key signer, as ratios:
// the same service, Redis and load, only TOKEN_ENGINE_SIGNER differs. Also reports the
// main thread's CPU per call (the event loop; the signatures themselves run on the libuv
// pool with either signer). Medians of BENCH_REPEATS runs (default 3) of BENCH_SECONDS.
// Usage: make bench-signer (needs softhsm2-util: apt-get install softhsm2)
import { randomUUID } from 'node:crypto';
import { createSoftHsmToken } from '../test/support/softhsm.js';
import { cpuSeconds, mainThreadCpuSeconds, median, runNode, startRedis, startService } from './lib.js';
import type { LoadResult } from './loadgen.js';

const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const API_KEY = 'bench-key';

interface Row {
  readonly alg: string;
  readonly signer: string;
  readonly concurrency: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Whole process, libuv pool (and SoftHSM's signing) included. */
  readonly cpuMsPerCall: number;
  readonly mainMsPerCall: number;
}

const redis = await startRedis();
const token = await createSoftHsmToken('te-bench');
const rows: Row[] = [];
try {
  for (const alg of ['ES256', 'RS256']) {
    for (const signer of ['sealed', 'pkcs11']) {
      const tenantId = `bench-${signer}-${alg}-${randomUUID().slice(0, 8)}`;
      const svc = await startService({
        TOKEN_ENGINE_ISSUER: tenantId,
        TOKEN_ENGINE_AUDIENCE: 'bench-api',
        TOKEN_ENGINE_TLS_MODE: 'disabled',
        TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=bench`,
        TOKEN_ENGINE_REDIS_URL: redis.url,
        TOKEN_ENGINE_SIGNING_ALG: alg,
        ...(signer === 'pkcs11'
          ? { ...token.env, TOKEN_ENGINE_PKCS11_SESSIONS: process.env['BENCH_PKCS11_SESSIONS'] ?? '2' }
          : { TOKEN_ENGINE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }),
      });
      try {
        for (const concurrency of [16, 64]) {
          process.stderr.write(`[bench-signer] ${alg} ${signer} @${concurrency}\n`);
          const runs: Row[] = [];
          for (let i = 0; i < REPEATS; i++) {
            let [cpu0, main0] = [0, 0];
            const r = await runNode<LoadResult>(
              'loadgen',
              [
                JSON.stringify({
                  target: svc.grpc,
                  mode: 'issue',
                  concurrency,
                  durationMs: SECONDS * 1000,
                  maxCalls: 10_000_000,
                  tenantId,
                  apiKey: API_KEY,
                }),
              ],
              {},
              (line) => {
                if (line.includes('"phase":"timed"')) [cpu0, main0] = [cpuSeconds(svc.pid), mainThreadCpuSeconds(svc.pid)];
              },
            );
            const [cpu, main] = [cpuSeconds(svc.pid) - cpu0, mainThreadCpuSeconds(svc.pid) - main0];
            if (r.errors > 0) throw new Error(`${signer} ${alg}: ${r.errors} errors, first: ${r.firstError}`);
            runs.push({
              alg,
              signer,
              concurrency,
              rps: r.rps,
              p50: r.p50,
              p99: r.p99,
              cpuMsPerCall: (cpu * 1000) / r.calls,
              mainMsPerCall: (main * 1000) / r.calls,
            });
          }
          const m = (k: keyof Row): number => median(runs.map((run) => Number(run[k])));
          rows.push({
            alg,
            signer,
            concurrency,
            rps: m('rps'),
            p50: m('p50'),
            p99: m('p99'),
            cpuMsPerCall: m('cpuMsPerCall'),
            mainMsPerCall: m('mainMsPerCall'),
          });
        }
      } finally {
        await svc.stop();
      }
    }
  }
} finally {
  await redis.stop();
  await token.remove();
}

const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '');
console.log(`\nIssueToken, medians of ${REPEATS} runs of ${SECONDS} s; ratio = PKCS#11 (SoftHSM2) / sealed-key signer\n`);
console.log(
  '| alg | signer | in flight | calls/s | p50 ms | p99 ms | CPU ms/call | main-thread CPU ms/call | throughput ratio |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const sealed = rows.find((o) => o.alg === r.alg && o.concurrency === r.concurrency && o.signer === 'sealed');
  const ratio = r.signer === 'pkcs11' && sealed ? f(r.rps / sealed.rps, 2) : '';
  console.log(
    `| ${r.alg} | ${r.signer} | ${r.concurrency} | ${f(r.rps)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.cpuMsPerCall, 3)} | ${f(r.mainMsPerCall, 3)} | ${ratio} |`,
  );
}
console.log(`\n${JSON.stringify(rows)}`);

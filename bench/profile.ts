// Profiles the service under one load (node --cpu-prof) and prints where its CPU goes.
// Usage: node dist/bench/bench/profile.js <issue|refresh|issue-replay|revoke|revoke-user> [RS256|ES256] [seconds]
// Needs REDIS_URL or redis-server on PATH. The .cpuprofile stays in bench/profiles/ for
// Chrome DevTools or speedscope. TOKEN_ENGINE_SIGNER, TOKEN_ENGINE_PKCS11_* and
// SOFTHSM2_CONF pass through to the service (profile the PKCS#11 signer).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './loadgen.js';
import { freePort, ROOT, runNode, sleep, startRedis } from './lib.js';

/** The parts of a V8 .cpuprofile read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const [mode = 'issue', alg = 'ES256', seconds = '4'] = process.argv.slice(2);
const dir = join(ROOT, 'bench', 'profiles');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const redis = await startRedis();
const tenantId = `profile-${Date.now()}`;
const [grpcPort, httpPort] = [await freePort(), await freePort()];
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(ROOT, 'dist/main.js')], {
  env: {
    PATH: process.env['PATH'],
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'bench-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'bench-key=bench',
    TOKEN_ENGINE_REDIS_URL: redis.url,
    TOKEN_ENGINE_SIGNING_ALG: alg,
    TOKEN_ENGINE_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    TOKEN_ENGINE_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    TOKEN_ENGINE_LOG_LEVEL: 'error',
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => name === 'TOKEN_ENGINE_SIGNER' || name.startsWith('TOKEN_ENGINE_PKCS11_') || name === 'SOFTHSM2_CONF',
      ),
    ),
  },
  stdio: 'inherit',
});
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${httpPort}/healthz/ready`)).ok) break;
  } catch {
    /* starting */
  }
  await sleep(50);
}
const r = await runNode<LoadResult>('loadgen', [
  JSON.stringify({
    target: `127.0.0.1:${grpcPort}`,
    mode,
    concurrency: 64,
    durationMs: Number(seconds) * 1000,
    maxCalls: 100_000,
    tenantId,
    apiKey: 'bench-key',
  }),
]);
await new Promise((resolve) => {
  child.once('exit', resolve);
  child.kill('SIGINT');
});
await redis.stop();

const profileFile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (profileFile === undefined) throw new Error(`no .cpuprofile was written to ${dir}`);
const file = join(dir, profileFile);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)?.callFrame;
  if (!frame || frame.functionName === '(idle)') return;
  const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
  const key = `${frame.functionName || '(anonymous)'}  ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  busy += profile.timeDeltas[i] ?? 0;
});
console.log(
  `${mode} ${alg}: ${Math.round(r.rps)} calls/s; main-thread busy ${(busy / 1e6).toFixed(2)} s, ` +
    `${(busy / r.calls).toFixed(1)} µs per call (${r.calls} calls, ${r.errors} errors); profile ${file}`,
);
for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

// Profiles the service under one load (node --cpu-prof) and prints where its CPU goes.
// Usage: node bench/profile.mjs <issue|refresh|issue-replay|revoke|revoke-user> [RS256|ES256] [seconds]
// Needs REDIS_URL or redis-server on PATH. The .cpuprofile stays in bench/profiles/ for
// Chrome DevTools or speedscope.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, runNode, sleep, startRedis } from './lib.mjs';

const [mode = 'issue', alg = 'ES256', seconds = '4'] = process.argv.slice(2);
const dir = join(ROOT, 'bench', 'profiles');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const redis = await startRedis();
const tenantId = `profile-${Date.now()}`;
const [grpcPort, httpPort] = [await freePort(), await freePort()];
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(ROOT, 'dist/main.js')], {
  env: {
    PATH: process.env.PATH,
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'bench-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'bench-key=bench',
    TOKEN_ENGINE_REDIS_URL: redis.url,
    TOKEN_ENGINE_SIGNING_ALG: alg,
    TOKEN_ENGINE_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    TOKEN_ENGINE_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    TOKEN_ENGINE_LOG_LEVEL: 'error',
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
const r = await runNode('bench/loadgen.mjs', [
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

const file = join(
  dir,
  readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
let busy = 0;
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id).callFrame;
  if (frame.functionName === '(idle)') return;
  const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
  const key = `${frame.functionName || '(anonymous)'}  ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  busy += profile.timeDeltas[i] ?? 0;
});
console.log(`${mode} ${alg}: ${Math.round(r.rps)} calls/s; main-thread busy ${(busy / 1e6).toFixed(2)} s; profile ${file}`);
for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

// Profiles the service under one load (node --cpu-prof) and prints where its CPU goes.
// Usage: node dist/bench/bench/profile.js <issue|refresh|issue-replay|revoke|revoke-user> [RS256|ES256] [seconds]
// Needs REDIS_URL or redis-server on PATH. The .cpuprofile stays in bench/profiles/ for
// Chrome DevTools or speedscope. TOKEN_ENGINE_SIGNER, TOKEN_ENGINE_PKCS11_* and
// SOFTHSM2_CONF pass through to the service (profile the PKCS#11 signer).
// The service logs at PROFILE_LOG_LEVEL (default info, the product default: one access line
// per RPC is part of what a call costs), to a pipe this script drains, like a container runtime.
// It also reads the service's CPU from /proc over the timed phase (main thread, and the whole
// process with the libuv pool): on a shared machine a sampled profile counts the time the
// process waited for a core, these readings do not. PROFILE_CPU_PROF=0 leaves the profiler
// out (its sampling costs the main thread a little) and prints only those readings.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './loadgen.js';
import { cpuSeconds, freePort, mainThreadCpuSeconds, ROOT, runNode, sleep, startRedis } from './lib.js';

/** The parts of a V8 .cpuprofile read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The stages of a call, by where their code lives. A sample goes to the first stage met
 * walking from the sampled function towards the root, so time in a library is charged to
 * the library's concern (pino's time inside the access-log step is "logging").
 */
const STAGES: readonly [stage: string, test: (url: string, fn: string) => boolean][] = [
  ['garbage collection', (_url, fn) => fn === '(garbage collector)'],
  ['logging (pino)', (url) => /node_modules\/(pino|thread-stream|sonic-boom|fast-redact|quick-format)/.test(url)],
  ['metrics (prom-client)', (url) => url.includes('node_modules/prom-client')],
  ['tracing (OpenTelemetry)', (url) => url.includes('node_modules/@opentelemetry')],
  ['validation (zod)', (url) => url.includes('node_modules/zod')],
  ['signing (jose, node:crypto)', (url) => url.includes('node_modules/jose') || /dist\/(keys|tokens\/access-token)/.test(url)],
  [
    'Redis client (ioredis)',
    (url) => /node_modules\/(ioredis|redis-parser|cluster-key-slot|denque)/.test(url) || url.includes('dist/store/'),
  ],
  [
    'gRPC transport (grpc-js, HTTP/2, protobuf)',
    (url) => /node_modules\/(@grpc|protobufjs|@protobufjs)/.test(url) || /node:(internal\/)?http2/.test(url),
  ],
  ['step: tracing', (url) => url.endsWith('interceptors/tracing.js')],
  ['step: correlation, access log, request metrics', (url) => url.endsWith('interceptors/correlation.js')],
  ['step: authentication', (url) => url.endsWith('interceptors/authentication.js') || url.includes('dist/access/authenticate')],
  ['step: authorization', (url) => url.endsWith('interceptors/authorization.js') || url.includes('dist/access/caller-registry')],
  ['step: idempotency', (url) => url.endsWith('interceptors/idempotency.js') || url.includes('dist/idempotency/')],
  ['step: validation', (url) => url.endsWith('interceptors/validation.js') || url.includes('dist/grpc/fields')],
  ['handler (token service, refresh-token minting)', (url) => /dist\/tokens\//.test(url)],
  ['chain and adapter (server.ts, call.ts, step.ts)', (url) => /dist\/grpc\/(server|call|interceptors\/step)/.test(url)],
];

/**
 * The samples of the load itself: from the first to the last sample taken inside an RPC
 * (a frame of dist/grpc/server.js on the stack), so start-up and shutdown are left out.
 */
function loadWindow(profile: CpuProfile, inRpc: (id: number) => boolean): { from: number; to: number } {
  let from = -1;
  let to = -1;
  profile.samples.forEach((id, i) => {
    if (!inRpc(id)) return;
    if (from < 0) from = i;
    to = i;
  });
  return { from: Math.max(from, 0), to };
}

/** CPU per stage over the load window: the inclusive attribution described at STAGES, in microseconds. */
function stageBreakdown(profile: CpuProfile): {
  stages: Map<string, number>;
  busyUs: number;
  hottest: Map<string, Map<string, number>>;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame;
    const own = frame ? STAGES.find(([, test]) => test(frame.url, frame.functionName))?.[0] : undefined;
    const up = parent.get(id);
    const stage = own ?? (up === undefined ? 'other (V8, Node internals, microtasks, timers)' : classify(up));
    stageOf.set(id, stage);
    return stage;
  };
  const inRpcMemo = new Map<number, boolean>();
  const inRpc = (id: number): boolean => {
    const known = inRpcMemo.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const found = (byId.get(id)?.callFrame.url ?? '').endsWith('dist/grpc/server.js') || (up !== undefined && inRpc(up));
    inRpcMemo.set(id, found);
    return found;
  };
  const { from, to } = loadWindow(profile, inRpc);
  const stages = new Map<string, number>();
  const hottest = new Map<string, Map<string, number>>();
  let busyUs = 0;
  for (let i = from; i <= to; i++) {
    const id = profile.samples[i] ?? -1;
    const frame = byId.get(id)?.callFrame;
    if (frame?.functionName === '(idle)') continue;
    const stage = classify(id);
    const us = profile.timeDeltas[i] ?? 0;
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    busyUs += us;
    const fn = frame ? `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '?';
    const own = hottest.get(stage) ?? new Map<string, number>();
    own.set(fn, (own.get(fn) ?? 0) + us);
    hottest.set(stage, own);
  }
  return { stages, busyUs, hottest };
}

function shortUrl(url: string): string {
  return url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
}

const [mode = 'issue', alg = 'ES256', seconds = '4'] = process.argv.slice(2);
const dir = join(ROOT, 'bench', 'profiles');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const redis = await startRedis();
const tenantId = `profile-${Date.now()}`;
const [grpcPort, httpPort] = [await freePort(), await freePort()];
const sampling = process.env['PROFILE_CPU_PROF'] !== '0';
const child = spawn(
  process.execPath,
  [...(sampling ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), join(ROOT, 'dist/main.js')],
  {
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
      TOKEN_ENGINE_LOG_LEVEL: process.env['PROFILE_LOG_LEVEL'] ?? 'info',
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([name]) => name === 'TOKEN_ENGINE_SIGNER' || name.startsWith('TOKEN_ENGINE_PKCS11_') || name === 'SOFTHSM2_CONF',
        ),
      ),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
child.stdout?.resume();
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${httpPort}/healthz/ready`)).ok) break;
  } catch {
    /* starting */
  }
  await sleep(50);
}
const pid = child.pid ?? 0;
let cpu0 = { main: 0, all: 0 };
const r = await runNode<LoadResult>(
  'loadgen',
  [
    JSON.stringify({
      target: `127.0.0.1:${grpcPort}`,
      mode,
      concurrency: 64,
      durationMs: Number(seconds) * 1000,
      maxCalls: 100_000,
      tenantId,
      apiKey: 'bench-key',
    }),
  ],
  {},
  (line) => {
    if (line.includes('"phase":"timed"')) cpu0 = { main: mainThreadCpuSeconds(pid), all: cpuSeconds(pid) };
  },
);
const cpu = { main: mainThreadCpuSeconds(pid) - cpu0.main, all: cpuSeconds(pid) - cpu0.all };
const perCall = (s: number): string => ((s * 1000) / r.calls).toFixed(3);
console.log(
  `${mode} ${alg} (/proc, timed phase): ${Math.round(r.rps)} calls/s; CPU per call: main thread ${perCall(cpu.main)} ms, process ${perCall(cpu.all)} ms`,
);
await new Promise((resolve) => {
  child.once('exit', resolve);
  child.kill('SIGINT');
});
await redis.stop();
if (!sampling) process.exit(0);

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
  const where = shortUrl(frame.url);
  const key = `${frame.functionName || '(anonymous)'}  ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  busy += profile.timeDeltas[i] ?? 0;
});
console.log(
  `${mode} ${alg}: ${Math.round(r.rps)} calls/s (${r.calls} calls, ${r.errors} errors); main-thread busy ${(busy / 1e6).toFixed(2)} s; profile ${file}`,
);
const calls = r.calls;
const { stages, busyUs, hottest } = stageBreakdown(profile);
console.log(`\nmain-thread CPU per call by stage, over the load (${calls} calls):`);
for (const [stage, us] of [...stages].sort((a, b) => b[1] - a[1])) {
  console.log(`${(us / calls / 1000).toFixed(4).padStart(8)} ms  ${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${stage}`);
}
console.log(
  `${(busyUs / calls / 1000).toFixed(4).padStart(8)} ms  100.0%  in all\n\nhottest functions of each stage (self time, share of the load window):`,
);
for (const [stage, us] of [...stages].sort((a, b) => b[1] - a[1])) {
  if (us / busyUs < 0.02) continue;
  console.log(`  ${stage}`);
  for (const [fn, own] of [...(hottest.get(stage) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 6)) {
    console.log(`    ${((own / busyUs) * 100).toFixed(1).padStart(5)}%  ${fn}`);
  }
}
console.log('\nhottest functions (self time, whole run):');
for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

// `make capacity`: the figures of doc/CAPACITY.md, measured on this machine in one run.
//  1. Single-shard ceilings: the store's Lua scripts alone (redis-ceiling.ts) against one
//     Redis, with Redis's own CPU per operation from INFO cpu and INFO commandstats.
//  2. Each RPC under the built service (loadgen.ts): the Redis commands it sends, Redis CPU
//     per call and the service's CPU per call, read around the timed phase.
//  3. Bytes stored per record: MEMORY USAGE on the keys the service and the store wrote,
//     and used_memory growth per issued token.
// Bounded: CAPACITY_SECONDS (default 3) per ceiling and per RPC; 127.0.0.1 only.
// Environment: REDIS_URL (else a throwaway redis-server), CAPACITY_SECONDS,
// CAPACITY_CONNECTIONS (ceiling driver connections, default 2), CAPACITY_ALG (default ES256).
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { loadTokenEngineProto } from '../src/grpc/proto.js';
import { TenantKeys } from '../src/store/redis/keys.js';
import { RedisTokenStore } from '../src/store/redis/token-store.js';
import { mintRefreshToken, newFamilyId } from '../src/tokens/refresh-token.js';
import { cpuSeconds, runNode, startRedis, startService } from './lib.js';
import type { LoadMode, LoadResult } from './loadgen.js';
import type { RedisCeilingResult } from './redis-ceiling.js';

const SECONDS = Number(process.env['CAPACITY_SECONDS'] ?? 3);
const CONNECTIONS = Number(process.env['CAPACITY_CONNECTIONS'] ?? 2);
const ALG = process.env['CAPACITY_ALG'] ?? 'ES256';
const API_KEY = 'bench-key';
const durationMs = SECONDS * 1000;
const progress = (text: string): boolean => process.stderr.write(`[capacity] ${text}\n`);

/** Redis's counters at one instant: per-command calls and µs, and main-thread CPU seconds. */
interface RedisCounters {
  readonly commands: Map<string, { calls: number; usec: number }>;
  readonly cpu: number;
}

/** What Redis did between two readings, per operation of the caller. */
interface RedisWork {
  /** Commands sent per operation, by name (commands run inside scripts are counted too). */
  readonly perOp: Record<string, number>;
  /** Redis main-thread CPU µs per operation (INFO cpu): networking, parsing and execution. */
  readonly cpuUsPerOp: number;
  /** µs per operation spent executing top-level commands (INFO commandstats; a script's inner commands are inside its EVALSHA). */
  readonly commandUsPerOp: number;
}

const redis = await startRedis();
const admin = new Redis(redis.url);

async function counters(): Promise<RedisCounters> {
  const [stats, cpu] = await Promise.all([admin.info('commandstats'), admin.info('cpu')]);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const line of stats.split('\r\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (m?.[1]) commands.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? Number.NaN);
  const main = field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread');
  return { commands, cpu: Number.isNaN(main) ? field('used_cpu_user') + field('used_cpu_sys') : main };
}

/** Commands the measurement itself sends; left out of every figure. */
const OWN = new Set(['info', 'memory|usage', 'scan', 'xlen', 'pttl', 'type']);
/** Commands a script runs inside its EVALSHA: their time is already in the EVALSHA's. */
const TOP_LEVEL = new Set(['evalsha', 'eval', 'mget', 'get', 'set', 'del', 'xread', 'xrange', 'xrevrange', 'ping', 'hvals']);

function workBetween(before: RedisCounters, after: RedisCounters, ops: number, scripted: boolean): RedisWork {
  const perOp: Record<string, number> = {};
  let usec = 0;
  for (const [name, a] of after.commands) {
    if (OWN.has(name)) continue;
    const b = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const calls = a.calls - b.calls;
    if (calls <= 0) continue;
    perOp[name] = calls / ops;
    // With scripts in the run, MGET/GET/SET may be a script's inner command: count only the script.
    if (scripted ? name === 'evalsha' || name === 'eval' : TOP_LEVEL.has(name)) usec += a.usec - b.usec;
  }
  return { perOp, cpuUsPerOp: ((after.cpu - before.cpu) * 1e6) / ops, commandUsPerOp: usec / ops };
}

const fmt = (n: number | undefined, d = 0): string =>
  n === undefined || Number.isNaN(n) ? '' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const mix = (perOp: Record<string, number>): string =>
  Object.entries(perOp)
    .filter(([, v]) => v >= 0.005)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k} ${fmt(v, 2)}`)
    .join(', ');

const load0 = loadavg()[0] ?? 0;
progress(`redis ${redis.url}; load average ${load0.toFixed(2)}`);

// ---- 1. Single-shard ceilings ---------------------------------------------------------
/** Top-level commands per store operation, read from Redis's own counters. */
const OPS_FROM: Record<string, { command: string; per: number }> = {
  issue: { command: 'evalsha', per: 1 },
  refresh: { command: 'evalsha', per: 2 },
  validate: { command: 'mget', per: 1 },
  'revoke-token': { command: 'evalsha', per: 1 },
  'revoke-user': { command: 'evalsha', per: 1 },
};
const ceilings: (RedisCeilingResult & RedisWork & { redisCores: number; shardCeiling: number })[] = [];
// Only types come from redis-ceiling.ts: importing a value would run the driver here.
for (const mode of ['issue', 'refresh', 'validate', 'revoke-token', 'revoke-user']) {
  progress(`ceiling ${mode}`);
  let before: Promise<RedisCounters> | undefined;
  const r = await runNode<RedisCeilingResult>(
    'redis-ceiling',
    [redis.url, mode, String(durationMs), String(CONNECTIONS)],
    {},
    (line) => {
      if (line.includes('"phase":"timed"')) before = counters();
    },
  );
  const after = await counters();
  if (!before) throw new Error(`redis-ceiling ${mode} never started its timed phase`);
  const b = await before;
  const from = OPS_FROM[mode] ?? { command: 'evalsha', per: 1 };
  // Operations as Redis counted them between the two readings: the same instants as its CPU.
  const ops = ((after.commands.get(from.command)?.calls ?? 0) - (b.commands.get(from.command)?.calls ?? 0)) / from.per;
  const work = workBetween(b, after, ops, mode !== 'validate');
  ceilings.push({
    ...r,
    ...work,
    redisCores: (work.cpuUsPerOp * r.rps) / 1e6,
    shardCeiling: 1e6 / work.cpuUsPerOp,
  });
}

// ---- 2. Each RPC under the service ----------------------------------------------------
const tenantId = `capacity-${randomUUID().slice(0, 8)}`;
const svc = await startService({
  TOKEN_ENGINE_ISSUER: tenantId,
  TOKEN_ENGINE_AUDIENCE: 'bench-api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=bench`,
  TOKEN_ENGINE_REDIS_URL: redis.url,
  TOKEN_ENGINE_SIGNING_ALG: ALG,
  TOKEN_ENGINE_WORKERS: '1',
  TOKEN_ENGINE_EXT_AUTHZ: 'true',
});
interface RpcRow extends RedisWork {
  readonly rpc: string;
  readonly rps: number;
  readonly calls: number;
  readonly serviceCpuMsPerCall: number;
  /** cpuUsPerOp less what Redis spends on its own (active expiry, cron) and on an idle replica over the same time. */
  readonly netCpuUsPerOp: number;
}
const rpcs: RpcRow[] = [];
// What Redis spends per second with the replica idle (its cron and active expiry of the
// ceilings' keys, the replica's own periodic reads): taken off each row below, because at
// a few hundred calls per second it is a visible share of each call.
progress('idle service');
const idle0 = await counters();
await new Promise((resolve) => setTimeout(resolve, durationMs));
const idleWork = workBetween(idle0, await counters(), SECONDS, false);
const idleCpuUsPerSecond = idleWork.cpuUsPerOp;
const net = (work: RedisWork, calls: number, seconds: number): number => work.cpuUsPerOp - (idleCpuUsPerSecond * seconds) / calls;
const CONCURRENCY = 16;
const RPC_MODES: [string, LoadMode][] = [
  ['IssueToken', 'issue'],
  ['IssueToken (idempotency key, replay)', 'issue-replay'],
  ['RefreshToken', 'refresh'],
  ['RevokeToken', 'revoke'],
  ['RevokeAllUserTokens', 'revoke-user'],
  ['RevokeAllForAudience', 'revoke-audience'],
  ['RevokeAllForUserAndAudience', 'revoke-user-audience'],
  ['ValidateToken', 'validate'],
  ['Check (ext_authz)', 'check'],
];
// One WatchRevocations stream open on the tenant for the whole section: its XREADs show in
// the revocation rows (one read per batch of events the stream's reader wakes up for).
const { proto } = loadTokenEngineProto();
const watchClient = new proto.token.v1.TokenEngine(svc.grpc, credentials.createInsecure());
const watchMeta = new Metadata();
watchMeta.set('x-api-key', API_KEY);
const watch = watchClient.WatchRevocations({ tenant_id: tenantId }, watchMeta);
let watchedEvents = 0;
watch.on('data', () => {
  watchedEvents++;
});
watch.on('error', () => {});
try {
  for (const [rpc, mode] of RPC_MODES) {
    progress(`${rpc} @${CONCURRENCY}`);
    let before: Promise<RedisCounters> | undefined;
    let cpu0 = 0;
    const r = await runNode<LoadResult>(
      'loadgen',
      [
        JSON.stringify({
          target: svc.grpc,
          mode,
          concurrency: CONCURRENCY,
          durationMs,
          maxCalls: mode === 'refresh' || mode === 'revoke' ? SECONDS * 4_000 : 10_000_000,
          tenantId,
          apiKey: API_KEY,
        }),
      ],
      {},
      (line) => {
        if (line.includes('"phase":"timed"')) {
          cpu0 = cpuSeconds(svc.pid);
          before = counters();
        }
      },
    );
    const cpu = cpuSeconds(svc.pid) - cpu0;
    const after = await counters();
    if (!before) throw new Error(`${rpc}: the load generator never started its timed phase`);
    if (r.errors > 0) throw new Error(`${rpc}: ${r.errors} errors, first: ${r.firstError}`);
    const b = await before;
    const scripted = (after.commands.get('evalsha')?.calls ?? 0) > (b.commands.get('evalsha')?.calls ?? 0);
    const work = workBetween(b, after, r.calls, scripted);
    rpcs.push({
      rpc,
      rps: r.rps,
      calls: r.calls,
      serviceCpuMsPerCall: (cpu * 1000) / r.calls,
      ...work,
      netCpuUsPerOp: net(work, r.calls, r.seconds),
    });
  }
  // GetJWKS is served over HTTP from the key ring in memory.
  progress('GetJWKS (HTTP /.well-known/jwks.json)');
  const b = await counters();
  const cpu0 = cpuSeconds(svc.pid);
  let jwksCalls = 0;
  const jwksDeadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < jwksDeadline) {
        const res = await fetch(`${svc.http}/.well-known/jwks.json`);
        if (res.status !== 200) throw new Error(`GetJWKS answered ${res.status}`);
        await res.arrayBuffer();
        jwksCalls++;
      }
    }),
  );
  const jwksCpu = cpuSeconds(svc.pid) - cpu0;
  const jwksWork = workBetween(b, await counters(), jwksCalls, false);
  rpcs.push({
    rpc: 'GetJWKS (HTTP)',
    rps: jwksCalls / SECONDS,
    calls: jwksCalls,
    serviceCpuMsPerCall: (jwksCpu * 1000) / jwksCalls,
    ...jwksWork,
    netCpuUsPerOp: net(jwksWork, jwksCalls, SECONDS),
  });
} finally {
  watch.cancel();
  watchClient.close();
  await svc.stop();
}

// ---- 3. Bytes stored per record -------------------------------------------------------
progress('bytes per record');
/** Mean MEMORY USAGE (exact: SAMPLES 0) of up to `limit` keys matching `pattern`. */
async function meanUsage(pattern: string, limit = 400): Promise<{ keys: number; bytes: number }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0' && keys.length < limit);
  const sample = keys.slice(0, limit);
  let total = 0;
  for (const key of sample) total += Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  return { keys: sample.length, bytes: sample.length ? total / sample.length : Number.NaN };
}
const k = new TenantKeys(tenantId);
const p = k.prefix.replace(/[*?[\]\\]/g, '\\$&');
const memory: { record: string; keys: number; bytes: number; note: string }[] = [];
const addUsage = async (record: string, pattern: string, note: string): Promise<void> => {
  memory.push({ record, ...(await meanUsage(pattern)), note });
};
await addUsage('refresh-token record (live or consumed), hash', `${p}rt:*`, 'one per issue and per refresh, kept until its exp');
await addUsage('family-revoked marker', `${p}fr:*`, 'RevokeToken / reuse detection; lives one refresh lifetime');
await addUsage('user watermark', `${p}rv:u:*`, 'RevokeAllUserTokens; lives one refresh lifetime');
await addUsage('audience watermark', `${p}rv:a:*`, 'RevokeAllForAudience');
await addUsage('user+audience watermark', `${p}rv:ua:*`, 'RevokeAllForUserAndAudience');
await addUsage(
  'idempotency record (completed IssueToken)',
  'te:idem:*',
  'one per idempotency key, lives TOKEN_ENGINE_IDEMPOTENCY_TTL',
);
for (const [record, key, note] of [
  ['revocation event (stream entry)', k.events(), 'trimmed to one access lifetime + leeway'],
  ['audit record (stream entry)', k.audit(), 'capped per tenant'],
] as const) {
  const len = await admin.xlen(key);
  const usage = Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  memory.push({ record, keys: len, bytes: len ? usage / len : Number.NaN, note: `${note}; MEMORY USAGE of the stream / XLEN` });
}
// used_memory growth per token: includes the keyspace and expires dictionary entries.
const store = new RedisTokenStore(admin);
const memPolicy = { tenantId: `capacity-mem-${randomUUID().slice(0, 8)}`, revocationRetentionMs: 3_600_000 };
const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
const TOKENS = 20_000;
const m0 = await used();
for (let i = 0; i < TOKENS; i += 500) {
  await Promise.all(
    Array.from({ length: 500 }, (_, j) => {
      const now = Date.now();
      return store.issue(memPolicy, {
        digest: mintRefreshToken().digest,
        familyId: newFamilyId(),
        subject: `bench-user-${(i + j) % 1000}`,
        audiences: ['bench-api'],
        claims: { role: 'reader', org: 'bench' },
        issuedAt: now,
        expiresAt: now + 3_600_000,
      });
    }),
  );
}
const perToken = ((await used()) - m0) / TOKENS;
memory.push({
  record: 'refresh-token record, used_memory growth',
  keys: TOKENS,
  bytes: perToken,
  note: 'with dictionary and expiry entries',
});
admin.disconnect();
await redis.stop();

// ---- Report -----------------------------------------------------------------------------
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average at start ${load0.toFixed(2)}, end ${(loadavg()[0] ?? 0).toFixed(2)}`;
console.log(`\nmachine: ${machine}; ${SECONDS} s per run; ${ALG}\n`);
console.log(`Single-shard ceilings (store scripts alone, ${CONNECTIONS} pipelined connections × 64 in flight)\n`);
console.log(
  '| operation | driven ops/s | Redis CPU µs/op (INFO cpu) | command µs/op (commandstats) | Redis cores busy | shard ceiling ops/s (1 core) | commands per op |',
);
console.log('|---|---|---|---|---|---|---|');
for (const c of ceilings) {
  console.log(
    `| ${c.mode} | ${fmt(c.rps)} | ${fmt(c.cpuUsPerOp, 1)} | ${fmt(c.commandUsPerOp, 1)} | ${fmt(c.redisCores, 2)} | ${fmt(c.shardCeiling)} | ${mix(c.perOp)} |`,
  );
}
console.log(`\nEach RPC under the service (${ALG}, ${CONCURRENCY} in flight, one WatchRevocations stream open)\n`);
console.log(
  '| RPC | calls/s | service CPU ms/call | Redis CPU µs/call (INFO cpu) | command µs/call (commandstats) | Redis commands per call |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rpcs) {
  console.log(
    `| ${r.rpc} | ${fmt(r.rps)} | ${fmt(r.serviceCpuMsPerCall, 3)} | ${fmt(r.cpuUsPerOp, 1)} | ${fmt(r.commandUsPerOp, 1)} | ${mix(r.perOp)} |`,
  );
}
console.log(`\nWatchRevocations: the open stream received ${watchedEvents} events.\n`);
console.log('Bytes stored per record\n');
console.log('| record | keys measured | bytes each | note |');
console.log('|---|---|---|---|');
for (const m of memory) console.log(`| ${m.record} | ${m.keys} | ${fmt(m.bytes)} | ${m.note} |`);
console.log(
  `\n${JSON.stringify({ machine, seconds: SECONDS, alg: ALG, ceilings, idleCpuUsPerSecond, rpcs, watchedEvents, memory })}`,
);

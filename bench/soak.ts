// Soak: a mixed workload for a set time; reports the service's RSS and Redis memory over
// the run (after a warm-up) to show memory stays flat. Bounded in time and rate.
// Usage: node dist/bench/bench/soak.js [seconds=300] [in-flight=16]; REDIS_URL or redis-server on PATH.
import { randomUUID } from 'node:crypto';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import type { TokenPair__Output } from '../src/generated/token/v1/TokenPair.js';
import { loadTokenEngineProto } from '../src/grpc/proto.js';
import { rssMiB, sleep, startRedis, startService } from './lib.js';

/** One reading of the sampler. */
interface Sample {
  t: number;
  rssMiB: number;
  redisMiB: number;
  keys: number;
  calls: number;
}

const seconds = Number(process.argv[2] ?? 300);
const inFlight = Number(process.argv[3] ?? 16);
const warmupSeconds = Math.min(30, Math.floor(seconds / 5));
const redisServer = await startRedis();
const tenantId = `soak-${randomUUID().slice(0, 8)}`;
const svc = await startService({
  TOKEN_ENGINE_ISSUER: tenantId,
  TOKEN_ENGINE_AUDIENCE: 'soak-api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: 'soak-key=soak',
  TOKEN_ENGINE_REDIS_URL: redisServer.url,
  TOKEN_ENGINE_SIGNING_ALG: 'ES256',
  // Short lifetimes so expiry and reuse of memory are part of the run.
  TOKEN_ENGINE_ACCESS_TOKEN_TTL: '30s',
  TOKEN_ENGINE_REFRESH_TOKEN_TTL: '60s',
  TOKEN_ENGINE_IDEMPOTENCY_TTL: '60s',
});
const redis = new Redis(redisServer.url);
const { proto } = loadTokenEngineProto();
const client = new proto.token.v1.TokenEngine(svc.grpc, credentials.createInsecure());
const md = new Metadata();
md.set('x-api-key', 'soak-key');

/** A unary call's outcome: the error, or the response. */
type Outcome<T> = { err: ServiceError; res?: undefined } | { err?: undefined; res: T | undefined };
const settle =
  <T>(resolve: (outcome: Outcome<T>) => void) =>
  (err: ServiceError | null, res?: T): void =>
    resolve(err ? { err } : { res });
const issue = (req: { sub: string; tenant_id: string; claims: Record<string, string> }, meta = md) =>
  new Promise<Outcome<TokenPair__Output>>((resolve) => client.IssueToken(req, meta, settle(resolve)));
const refresh = (req: { refresh_token: string; tenant_id: string }) =>
  new Promise<Outcome<TokenPair__Output>>((resolve) => client.RefreshToken(req, md, settle(resolve)));
const revoke = (req: { refresh_token: string; tenant_id: string }) =>
  new Promise<Outcome<unknown>>((resolve) => client.RevokeToken(req, md, settle(resolve)));
const revokeUser = (req: { user_id: string; tenant_id: string }) =>
  new Promise<Outcome<unknown>>((resolve) => client.RevokeAllUserTokens(req, md, settle(resolve)));

let calls = 0;
let failures = 0;
const deadline = Date.now() + seconds * 1000;
async function worker(w: number): Promise<void> {
  for (let i = 0; Date.now() < deadline; i++) {
    const sub = `user-${w}-${i % 200}`;
    const withKey = md.clone();
    withKey.set('x-idempotency-key', `soak-${w}-${i % 50}-${Math.floor(Date.now() / 60_000)}`);
    const issued = await issue({ sub, tenant_id: tenantId, claims: { role: 'reader' } }, i % 5 === 0 ? withKey : md);
    calls++;
    if (issued.err) {
      if (issued.err.code !== 9) failures++; // FAILED_PRECONDITION is expected for reused keys with other content
      continue;
    }
    // A replayed pair's refresh token may already be rotated: leave those alone.
    if (i % 5 === 0) continue;
    const refreshed = await refresh({ refresh_token: issued.res?.refresh_token ?? '', tenant_id: tenantId });
    calls++;
    if (refreshed.err) failures++;
    if (i % 10 === 0) {
      await revoke({ refresh_token: refreshed.res?.refresh_token ?? 'x', tenant_id: tenantId });
      await revokeUser({ user_id: sub, tenant_id: tenantId });
      calls += 2;
    }
  }
}
const samples: Sample[] = [];
const sampler = (async () => {
  while (Date.now() < deadline) {
    await sleep(5_000);
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0) / 1024 / 1024;
    samples.push({
      t: Math.round((seconds * 1000 - (deadline - Date.now())) / 1000),
      rssMiB: rssMiB(svc.pid),
      redisMiB: used,
      keys: await redis.dbsize(),
      calls,
    });
    process.stderr.write(`[soak] ${JSON.stringify(samples.at(-1))}\n`);
  }
})();
await Promise.all([...Array.from({ length: inFlight }, (_, w) => worker(w)), sampler]);
client.close();
await svc.stop();
redis.disconnect();
await redisServer.stop();

const afterWarmup = samples.filter((s) => s.t >= warmupSeconds);
const first = afterWarmup[0];
const last = afterWarmup.at(-1);
const rss = afterWarmup.map((s) => s.rssMiB);
console.log(
  `soak ${seconds} s, ${inFlight} in flight: ${calls} calls (${Math.round(calls / seconds)}/s), ${failures} unexpected failures`,
);
console.log(
  `after ${warmupSeconds} s warm-up: RSS ${first?.rssMiB.toFixed(0)} → ${last?.rssMiB.toFixed(0)} MiB (min ${Math.min(...rss).toFixed(0)}, max ${Math.max(...rss).toFixed(0)}, change ${(((last?.rssMiB ?? 0) / (first?.rssMiB ?? 1) - 1) * 100).toFixed(1)} %)`,
);
console.log(
  `Redis used_memory ${first?.redisMiB.toFixed(1)} → ${last?.redisMiB.toFixed(1)} MiB, keys ${first?.keys} → ${last?.keys}`,
);
console.log(JSON.stringify({ seconds, inFlight, calls, failures, samples }));

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusName } from '../../src/grpc/status.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { CallResult, RpcName, WireTokenPair } from '../support/grpc-client.js';
import { startRedisSentinel, type RedisSentinelTopology } from '../support/redis-topologies.js';

// Sentinel failover under load: the master is SIGKILLed while IssueToken/RefreshToken run;
// the app must ride through it with no restart, never answer INTERNAL, and lose no refresh
// token it acknowledged.
//
// The guarantee this measures: Redis replicates asynchronously, so a write is on the
// replica only once the master has sent it. The app does not WAIT for replica
// acknowledgement, so on a real network the last writes acknowledged before a master dies
// can be lost. On loopback the master hands the replication stream to the kernel in the
// same event-loop turn as the reply, and a SIGKILL does not discard what is already in the
// socket buffer, so here every acknowledged write is expected to survive.

const WORKERS = 4;
const LOAD_MS = 15_000;
const KILL_AFTER_MS = 4_000;
const RECOVERY_MS = 20_000;
const PAUSE_AFTER_FAILURE_MS = 25;
const VERIFY_CONCURRENCY = 16;
/** Codes a caller may see while the master is being replaced: retryable, never INTERNAL. */
const RETRYABLE = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

let topology: RedisSentinelTopology | undefined;
let t: TestApp | undefined;

beforeAll(async () => {
  topology = await startRedisSentinel();
  t = await startTestApp({
    // An empty URL reads as unset, so the sentinel settings decide where Redis is.
    TOKEN_ENGINE_REDIS_URL: '',
    TOKEN_ENGINE_REDIS_SENTINELS: topology.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    TOKEN_ENGINE_REDIS_SENTINEL_MASTER: topology.masterName,
  });
}, 45_000);

afterAll(async () => {
  await t?.stop();
  await topology?.stop();
});

/** One RPC as the load saw it. */
interface Outcome {
  readonly rpc: RpcName;
  readonly code: number;
  readonly details: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** A refresh token the service answered OK with, and when the answer arrived. */
interface Acknowledged {
  readonly token: string;
  readonly at: number;
}

describe('Sentinel failover', () => {
  it('keeps serving through a master kill: no INTERNAL, recovery without restart, no acknowledged token lost', async () => {
    if (!t || !topology) throw new Error('setup failed');
    const app = t;
    const sentinel = topology;
    const outcomes: Outcome[] = [];
    const acknowledged: Acknowledged[] = [];
    /** Issued tokens whose refresh failed: the rotation may or may not have happened. */
    let ambiguous = 0;

    const call = async (rpc: RpcName, request: object): Promise<CallResult<WireTokenPair>> => {
      const startedAt = Date.now();
      const result = await app.client.call<WireTokenPair>(rpc, request);
      outcomes.push({
        rpc,
        code: result.error?.code ?? status.OK,
        details: result.error?.details ?? '',
        startedAt,
        endedAt: Date.now(),
      });
      return result;
    };

    const loadEnds = Date.now() + LOAD_MS;
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; Date.now() < loadEnds; n += 1) {
        const issued = await call('IssueToken', { sub: `load-${w}-${n}`, tenant_id: app.tenantId });
        if (issued.response) {
          const refreshed = await call('RefreshToken', { refresh_token: issued.response.refresh_token, tenant_id: app.tenantId });
          if (refreshed.response) {
            acknowledged.push({ token: refreshed.response.refresh_token, at: Date.now() });
            continue;
          }
          ambiguous += 1;
        }
        await sleep(PAUSE_AFTER_FAILURE_MS);
      }
    };

    let killAt = 0;
    let failoverMs = 0;
    const killer = async (): Promise<void> => {
      await sleep(KILL_AFTER_MS);
      killAt = Date.now();
      const old = await sentinel.killMaster();
      const promoted = await sentinel.waitForFailover(old);
      failoverMs = Date.now() - killAt;
      expect(promoted.port).not.toBe(old.port);
    };

    await Promise.all([killer(), ...Array.from({ length: WORKERS }, (_, w) => worker(w))]);

    // Recovery with no restart: the same app answers OK again.
    const recoveryStarted = Date.now();
    let recovered = false;
    while (!recovered && Date.now() - recoveryStarted < RECOVERY_MS) {
      const issued = await call('IssueToken', { sub: 'after-failover', tenant_id: app.tenantId });
      const refreshed = issued.response
        ? await call('RefreshToken', { refresh_token: issued.response.refresh_token, tenant_id: app.tenantId })
        : undefined;
      recovered = refreshed?.response !== undefined;
      if (!recovered) await sleep(200);
    }
    const firstOkAfterKill = outcomes.filter((o) => o.startedAt > killAt && o.code === status.OK).map((o) => o.endedAt)[0];
    const ready = await fetch(`${app.httpBase}/healthz/ready`);

    // Every refresh token acknowledged OK is still refreshable on the promoted master.
    const beforeKill = acknowledged.filter((a) => a.at < killAt);
    const afterKill = acknowledged.filter((a) => a.at >= killAt);
    const verify = async (tokens: readonly Acknowledged[]): Promise<Map<string, number>> => {
      const byCode = new Map<string, number>();
      await forEachLimited(tokens, VERIFY_CONCURRENCY, async ({ token }) => {
        const r = await app.client.call('RefreshToken', { refresh_token: token, tenant_id: app.tenantId });
        const name = statusName(r.error?.code ?? status.OK);
        byCode.set(name, (byCode.get(name) ?? 0) + 1);
      });
      return byCode;
    };
    const verifiedBefore = await verify(beforeKill);
    const verifiedAfter = await verify(afterKill);

    const tally = new Map<string, number>();
    for (const o of outcomes) {
      const key = `${o.rpc} ${statusName(o.code)}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    const failures = outcomes.filter((o) => o.code !== status.OK);
    const summary = {
      calls: Object.fromEntries([...tally].sort()),
      failoverMs,
      unavailableWindowMs: failures.length > 0 ? Math.max(...failures.map((o) => o.endedAt)) - killAt : 0,
      firstOkAfterKillMs: firstOkAfterKill === undefined ? undefined : firstOkAfterKill - killAt,
      acknowledgedBeforeKill: beforeKill.length,
      acknowledgedAfterKill: afterKill.length,
      ambiguousRefreshes: ambiguous,
      verifiedBefore: Object.fromEntries(verifiedBefore),
      verifiedAfter: Object.fromEntries(verifiedAfter),
    };
    process.stderr.write(`[sentinel-failover] ${JSON.stringify(summary)}\n`);

    expect(killAt, 'the master was killed during the load').toBeGreaterThan(0);
    expect(beforeKill.length, 'tokens acknowledged before the kill').toBeGreaterThan(0);
    expect(afterKill.length, 'tokens acknowledged after the failover, during the load').toBeGreaterThan(0);
    expect(
      failures.filter((o) => o.code === status.INTERNAL),
      'calls answered INTERNAL',
    ).toEqual([]);
    expect(
      failures.filter((o) => !RETRYABLE.has(o.code)),
      'calls answered other than OK/UNAVAILABLE/DEADLINE_EXCEEDED',
    ).toEqual([]);
    expect(
      failures.filter((o) => o.endedAt < killAt),
      'failures before the kill',
    ).toEqual([]);
    expect(recovered, `calls succeed again within ${RECOVERY_MS} ms of the load's end`).toBe(true);
    expect(ready.status).toBe(200);
    expect(summary.verifiedBefore, 'refresh tokens acknowledged before the kill, refreshed after the failover').toEqual({
      OK: beforeKill.length,
    });
    expect(summary.verifiedAfter, 'refresh tokens acknowledged after the kill, refreshed again').toEqual({
      OK: afterKill.length,
    });
  }, 60_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Memory follows live tokens (doc/ARCHITECTURE.md, data model): 10,000 tokens with short lifetimes, with
 * idempotency records, rotations, family markers and watermarks, are issued against a Redis
 * this file owns; once they have expired and the reconciler has run, the server holds the
 * same keys as before the load and about the same memory. Redis expires keys by its own
 * clock, so this waits for real (the lifetimes are 2 s).
 */
import type { Metadata } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const TOKENS = 10_000;
const WITH_IDEMPOTENCY_KEY = 1_000;
const REFRESHES = 500;
const TOKEN_REVOCATIONS = 300;
const USER_REVOCATIONS = 100;
const AUDIENCE_REVOCATIONS = 50;
const PAIR_REVOCATIONS = 50;
const CONCURRENCY = 64;
/** Longest lifetime of anything written (refresh TTL = marker/watermark retention = idempotency TTL). */
const LIFETIME_MS = 2_000;
const SETTLE_TIMEOUT_MS = 10_000;
/** used_memory may differ this much from the baseline (allocator and bookkeeping noise). */
const MEMORY_TOLERANCE_BYTES = 256 * 1024;

let server: RedisServer;
let t: TestApp;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url, { maxRetriesPerRequest: 2 });
  t = await startTestApp({
    TOKEN_ENGINE_REDIS_URL: server.url,
    TOKEN_ENGINE_ACCESS_TOKEN_TTL: '1s',
    TOKEN_ENGINE_REFRESH_TOKEN_TTL: '2s',
    TOKEN_ENGINE_IDEMPOTENCY_TTL: '2s',
    TOKEN_ENGINE_RECONCILIATION_INTERVAL: '1s',
    TOKEN_ENGINE_LOG_LEVEL: 'warn',
  });
}, 30_000);

afterAll(async () => {
  await t?.stop();
  admin?.disconnect();
  await server?.stop();
});

/** Every key of the server but the job leases (each lives one reconciliation interval). */
async function keysOfServer(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await admin.scan(cursor, 'COUNT', 1_000);
    keys.push(...page.filter((k) => !k.startsWith('te:lock:')));
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

async function usedMemory(): Promise<number> {
  const info = await admin.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
}

async function auditBytes(keys: TenantKeys): Promise<number> {
  return Number((await admin.call('MEMORY', 'USAGE', keys.audit())) ?? 0);
}

/** Runs `fn` over 0..count-1 with at most CONCURRENCY in flight. */
async function forEach(count: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

/** Once everything written has expired: a reconciler run, then the server back at `baseline` keys. */
async function settle(baseline: readonly string[]): Promise<{ keys: string[]; runs: number }> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let runs = 0;
  for (;;) {
    const result = await t.app.reconciler.run();
    if (result.every((r) => r.outcome === 'success')) runs += 1;
    const keys = await keysOfServer();
    if (runs > 0 && keys.join() === baseline.join()) return { keys, runs };
    if (Date.now() > deadline) return { keys, runs };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Redis memory returns to its baseline after tokens expire', () => {
  it(`${TOKENS} tokens with idempotency records, rotations, markers and watermarks leave nothing behind`, async () => {
    const tenant = { tenant_id: t.tenantId };
    const keys = new TenantKeys(t.tenantId);
    const call = (rpc: Parameters<TestApp['client']['ok']>[0], request: object, md?: Metadata) =>
      t.client.ok<WireTokenPair>(rpc, request, md);

    // Warm-up: every script loaded, the tenant's sequence and audit stream created; then
    // let it all expire so the baseline is a tenant at rest.
    const warm = await call('IssueToken', { ...tenant, sub: 'warm-up' }, t.client.metadata({ 'x-idempotency-key': 'warm-up' }));
    await call('RefreshToken', { ...tenant, refresh_token: warm.refresh_token });
    await call('RevokeToken', { ...tenant, refresh_token: warm.refresh_token });
    await call('RevokeAllUserTokens', { ...tenant, user_id: 'warm-up' });
    await call('RevokeAllForAudience', { ...tenant, audience: 'warm-up' });
    await call('RevokeAllForUserAndAudience', { ...tenant, user_id: 'warm-up', audience: 'warm-up' });
    await new Promise((resolve) => setTimeout(resolve, LIFETIME_MS + 200));
    const initial = await keysOfServer();
    const { keys: baselineKeys } = await settle(
      initial.filter((k) => k === keys.sequence() || k === keys.audit() || k === keys.signingKeys()),
    );
    expect(baselineKeys).toEqual([keys.audit(), keys.signingKeys(), keys.sequence()].sort());
    const baselineMemory = await usedMemory();
    const baselineAudit = await auditBytes(keys);

    // Tokens expire while the load still runs (it takes longer than their lifetime), so
    // the high-water mark is sampled during it.
    let peakKeys = 0;
    let peakMemory = 0;
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        peakKeys = Math.max(peakKeys, await admin.dbsize());
        peakMemory = Math.max(peakMemory, await usedMemory());
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const started = Date.now();
    // A token is refreshed or revoked right after its issue: it lives only 2 s.
    await forEach(TOKENS, async (i) => {
      const md = i < WITH_IDEMPOTENCY_KEY ? t.client.metadata({ 'x-idempotency-key': `memory-${i}` }) : undefined;
      const pair = await call('IssueToken', { ...tenant, sub: `user-${i % 200}`, audiences: [`aud-${i % 7}`, 'api'] }, md);
      if (i % 20 === 1 && i / 20 < REFRESHES) await call('RefreshToken', { ...tenant, refresh_token: pair.refresh_token });
      if (i % 20 === 2 && i / 20 < TOKEN_REVOCATIONS) await call('RevokeToken', { ...tenant, refresh_token: pair.refresh_token });
    });
    await forEach(USER_REVOCATIONS, async (i) => void (await call('RevokeAllUserTokens', { ...tenant, user_id: `user-${i}` })));
    await forEach(
      AUDIENCE_REVOCATIONS,
      async (i) => void (await call('RevokeAllForAudience', { ...tenant, audience: `aud-${i % 7}-${i}` })),
    );
    await forEach(
      PAIR_REVOCATIONS,
      async (i) =>
        void (await call('RevokeAllForUserAndAudience', { ...tenant, user_id: `user-${i}`, audience: `aud-${i % 7}` })),
    );
    const loadMs = Date.now() - started;
    loading = false;
    await sampler;
    await new Promise((resolve) => setTimeout(resolve, LIFETIME_MS + 200));
    const { keys: finalKeys, runs } = await settle(baselineKeys);
    const auditGrowth = (await auditBytes(keys)) - baselineAudit;
    // The server gives memory back in its cron (hash tables shrink there, ~10 times a
    // second): allow it a moment after the last key went.
    let finalMemory = await usedMemory();
    for (let i = 0; i < 20 && Math.abs(finalMemory - baselineMemory - auditGrowth) >= MEMORY_TOLERANCE_BYTES; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finalMemory = await usedMemory();
    }
    const summary = {
      loadMs,
      settleMs: Date.now() - started - loadMs,
      baselineKeys: baselineKeys.length,
      peakKeys,
      finalKeys: finalKeys.length,
      dbsize: await admin.dbsize(),
      reconcilerRuns: runs,
      baselineMemory,
      peakMemory,
      finalMemory,
      auditGrowth,
      residue: finalMemory - baselineMemory - auditGrowth,
    };
    process.stderr.write(`[redis-memory] ${JSON.stringify(summary)}\n`);

    expect(peakKeys).toBeGreaterThan(3_000);
    expect(peakMemory - baselineMemory).toBeGreaterThan(10 * MEMORY_TOLERANCE_BYTES);
    expect(runs).toBeGreaterThan(0);
    expect(finalKeys).toEqual(baselineKeys);
    // The audit stream keeps its records (bounded by trimming, not by expiry); the rest of
    // the memory is back where it was.
    expect(Math.abs(summary.residue)).toBeLessThan(MEMORY_TOLERANCE_BYTES);
  }, 60_000);
});

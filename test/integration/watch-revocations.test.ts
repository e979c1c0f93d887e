/**
 * WatchRevocations through real gRPC and Redis: 200 streams on two replicas see 100
 * revocations exactly once each, in order, and streams cut mid-way resume from their last
 * cursor without a gap or a duplicate; the backlog, the heartbeat, the refusals; a client
 * that stops reading is cut without holding up anyone; Redis going away ends streams
 * UNAVAILABLE and they resume; shutdown ends them UNAVAILABLE without holding the drain.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_DRAIN_MS } from '../../src/app.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { openWatch, type Received, type WatchHandle } from '../support/watch.js';

const SUBSCRIBERS = 200;
const REVOCATIONS = 100;
/** Streams that drop themselves mid-way and resume from their last cursor on the other replica. */
const RESUMERS = 20;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe('WatchRevocations on two replicas', () => {
  let replicas: [TestApp, TestApp];
  let tenantId: string;
  beforeAll(async () => {
    tenantId = uniquePrefix('watch');
    replicas = [
      await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId),
      await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId),
    ];
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });
  const replica = (i: number): TestApp => replicas[i % 2] as TestApp;

  it(`${SUBSCRIBERS} streams get ${REVOCATIONS} revocations exactly once, in order; resumed streams lose nothing`, async () => {
    const streams: WatchHandle[] = [];
    /** What each resumer received before it dropped, then after it resumed. */
    const resumed = new Map<number, { before: Received[]; after: WatchHandle }>();
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const dropAt = i < RESUMERS ? 5 + i * 4 : -1;
      streams.push(
        openWatch(
          replica(i).client,
          { tenant_id: tenantId },
          {
            onEvent: (_event, handle) => {
              if (handle.events.length !== dropAt) return;
              handle.cancel();
              const after = openWatch(replica(i + 1).client, { tenant_id: tenantId, after: handle.lastCursor() });
              resumed.set(i, { before: [...handle.events], after });
            },
          },
        ),
      );
    }
    await Promise.all(streams.map((s) => s.caughtUp));
    expect(replicas.map((r) => r.app.feed.streams)).toEqual([SUBSCRIBERS / 2, SUBSCRIBERS / 2]);

    // Revocations of every kind, alternating replicas, one after the other.
    const expected: string[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const tenant = { tenant_id: tenantId };
      const client = replica(i + 1).client;
      switch (i % 4) {
        case 0:
          await client.ok('RevokeAllUserTokens', { ...tenant, user_id: `user-${i}` });
          expected.push(`user:user-${i}:`);
          break;
        case 1:
          await client.ok('RevokeAllForAudience', { ...tenant, audience: `aud-${i}` });
          expected.push(`audience::aud-${i}`);
          break;
        case 2:
          await client.ok('RevokeAllForUserAndAudience', { ...tenant, user_id: `user-${i}`, audience: `aud-${i}` });
          expected.push(`user_audience:user-${i}:aud-${i}`);
          break;
        default: {
          const pair = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: `user-${i}` });
          await replica(i).client.ok('RevokeToken', { ...tenant, refresh_token: pair.refresh_token });
          expected.push('family::');
        }
      }
    }
    const describe = (e: Received): string => `${e.scope}:${e.user_id}:${e.audience}`;

    const complete = streams.map((s, i) => {
      const r = resumed.get(i);
      return r ? r.after.waitForEvents(REVOCATIONS - r.before.length) : s.waitForEvents(REVOCATIONS);
    });
    await Promise.all(complete);
    // Let anything extra (a duplicate) arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const latencies: number[] = [];
    for (const [i, s] of streams.entries()) {
      const r = resumed.get(i);
      const seen = r ? [...r.before, ...r.after.events] : s.events;
      expect(seen.map(describe), `stream ${i}`).toEqual(expected);
      const cursors = seen.map((e) => e.cursor);
      expect(new Set(cursors).size, `stream ${i} cursors`).toBe(REVOCATIONS);
      for (const e of seen) latencies.push(e.receivedAtMs - e.revoked_at_ms);
      // Family events carry the family id (the tokens' sid); bulk ones their watermark.
      const watermarks = seen.filter((e) => e.scope !== 'family').map((e) => e.watermark);
      expect(watermarks, `stream ${i} watermarks never go down`).toEqual([...watermarks].sort((a, b) => a - b));
      expect(watermarks.at(-1)).toBeGreaterThan(0);
      for (const e of seen.filter((e) => e.scope === 'family')) expect(e.family_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    expect(resumed.size).toBe(RESUMERS);
    latencies.sort((a, b) => a - b);
    const summary = {
      subscribers: SUBSCRIBERS,
      revocations: REVOCATIONS,
      deliveries: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1),
    };
    process.stderr.write(`[watch-revocations] delivery latency ${JSON.stringify(summary)}\n`);
    expect(latencies).toHaveLength(SUBSCRIBERS * REVOCATIONS);
    for (const s of [...streams, ...[...resumed.values()].map((r) => r.after)]) s.cancel();
  }, 120_000);

  it('starts with the backlog of the last access-token lifetime, or after a cursor, then a heartbeat', async () => {
    const tenant = uniquePrefix('backlog');
    const app = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenant);
    try {
      for (const user of ['a', 'b', 'c']) await app.client.ok('RevokeAllUserTokens', { tenant_id: tenant, user_id: user });
      const all = openWatch(app.client, { tenant_id: tenant });
      await all.caughtUp;
      expect(all.events.map((e) => e.user_id)).toEqual(['a', 'b', 'c']);
      expect(all.heartbeats[0]?.cursor).toBe(all.events[2]?.cursor);
      const later = openWatch(app.client, { tenant_id: tenant, after: all.events[0]?.cursor ?? '' });
      await later.caughtUp;
      expect(later.events.map((e) => e.user_id)).toEqual(['b', 'c']);
      await app.client.ok('RevokeAllUserTokens', { tenant_id: tenant, user_id: 'd' });
      await Promise.all([all.waitForEvents(4), later.waitForEvents(3)]);
      expect(later.events.map((e) => e.user_id)).toEqual(['b', 'c', 'd']);
      all.cancel();
      later.cancel();
    } finally {
      await app.stop();
    }
  });

  it('sends a heartbeat at least every 5 s while nothing happens', async () => {
    const s = openWatch(replica(0).client, { tenant_id: tenantId });
    await s.caughtUp;
    await new Promise((resolve) => setTimeout(resolve, 5_600));
    expect(s.heartbeats.length).toBeGreaterThanOrEqual(2);
    const [first, second] = s.heartbeats;
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeLessThanOrEqual(5_300);
    expect(second?.revoked_at_ms).toBeGreaterThan(first?.revoked_at_ms ?? 0);
    s.cancel();
  });

  it.each([
    [
      'a malformed cursor',
      { after: 'yesterday' },
      status.INVALID_ARGUMENT,
      'after must be empty or the cursor of an event (<ms>-<n>)',
    ],
    ['an empty tenant', { tenant_id: '' }, status.INVALID_ARGUMENT, 'tenant_id must not be empty'],
    [
      'a cursor never issued',
      { after: '1-0' },
      status.FAILED_PRECONDITION,
      'the after cursor is not retained (or was never issued); resubscribe with an empty cursor',
    ],
  ])('%s ends the stream with its status', async (_name, request, code, details) => {
    const s = openWatch(replica(0).client, { tenant_id: tenantId, ...request });
    expect(await s.ended).toMatchObject({ code, details });
  });

  it('an unknown tenant is NOT_FOUND; no API key UNAUTHENTICATED', async () => {
    const unknown = openWatch(replica(0).client, { tenant_id: 'no-such-tenant' });
    expect(await unknown.ended).toMatchObject({ code: status.NOT_FOUND, details: 'tenant no-such-tenant not found' });
    const anonymous = openWatch(replica(0).client, { tenant_id: tenantId }, { metadata: new Metadata() });
    expect((await anonymous.ended).code).toBe(status.UNAUTHENTICATED);
  });

  it('cuts a client that stops reading with RESOURCE_EXHAUSTED, and the others get everything', async () => {
    const tenant = uniquePrefix('slow');
    const app = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenant);
    try {
      const fast = openWatch(app.client, { tenant_id: tenant });
      const slow = openWatch(app.client, { tenant_id: tenant });
      await Promise.all([fast.caughtUp, slow.caughtUp]);
      // Stop reading: HTTP/2 flow control fills, the server's writes wait, its queue fills.
      // Long user ids fill the transport's buffers sooner.
      slow.pause();
      const pad = 'x'.repeat(240);
      let issued = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (app.app.feed.streams > 1 && issued < 20_000) {
            const i = issued++;
            await app.client.ok('RevokeAllUserTokens', { tenant_id: tenant, user_id: `${pad}-${i}` });
          }
        }),
      );
      expect(app.app.feed.streams).toBe(1);
      await fast.waitForEvents(issued, 60_000);
      expect(new Set(fast.events.map((e) => e.user_id)).size).toBe(issued);
      slow.resume();
      const ended = await slow.ended;
      expect(ended.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(ended.details).toBe('the stream fell more than 1024 events behind; reconnect with the last cursor');
      fast.cancel();
    } finally {
      await app.stop();
    }
  }, 120_000);
});

describe('WatchRevocations when Redis goes away, and at shutdown', () => {
  let proxy: TcpProxy;
  let viaProxy: TestApp;
  let direct: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    tenantId = uniquePrefix('watch-outage');
    const target = new URL(redisUrlForTests());
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    viaProxy = await startTestApp(
      { TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}`, TOKEN_ENGINE_LOG_LEVEL: 'warn' },
      tenantId,
    );
    direct = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId);
  });
  afterAll(async () => {
    await viaProxy.stop();
    await direct.stop();
    await proxy.cut();
  });

  it('ends streams UNAVAILABLE while Redis is away; they resume from the last cursor without a gap', async () => {
    const revoke = (user: string) => direct.client.ok('RevokeAllUserTokens', { tenant_id: tenantId, user_id: user });
    const stream = openWatch(viaProxy.client, { tenant_id: tenantId });
    await stream.caughtUp;
    for (const user of ['u1', 'u2', 'u3']) await revoke(user);
    await stream.waitForEvents(3);

    await proxy.cut();
    const ended = await stream.ended;
    expect(ended.code).toBe(status.UNAVAILABLE);
    expect(ended.details).toBe('token store unavailable; retry');
    // While it is away, a new stream is refused UNAVAILABLE too, and revocations go on elsewhere.
    const refused = openWatch(viaProxy.client, { tenant_id: tenantId, after: stream.lastCursor() });
    expect((await refused.ended).code).toBe(status.UNAVAILABLE);
    for (const user of ['u4', 'u5']) await revoke(user);

    await proxy.restore();
    let resumed: WatchHandle | undefined;
    for (let i = 0; i < 50 && !resumed; i++) {
      const attempt = openWatch(viaProxy.client, { tenant_id: tenantId, after: stream.lastCursor() });
      const outcome = await Promise.race([attempt.caughtUp.then(() => 'up'), attempt.ended.then(() => 'ended')]);
      if (outcome === 'up') resumed = attempt;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!resumed) throw new Error('the stream could not resume after Redis came back');
    await revoke('u6');
    await resumed.waitForEvents(3);
    expect([...stream.events, ...resumed.events].map((e) => e.user_id)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
    resumed.cancel();
  }, 60_000);

  it('app.stop ends open streams UNAVAILABLE before the drain, so they never hold it', async () => {
    const tenant = uniquePrefix('watch-stop');
    const app = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenant);
    const streams = Array.from({ length: 10 }, () => openWatch(app.client, { tenant_id: tenant }));
    await Promise.all(streams.map((s) => s.caughtUp));
    const started = Date.now();
    await app.app.stop();
    const stopMs = Date.now() - started;
    for (const s of streams) {
      expect(await s.ended).toMatchObject({ code: status.UNAVAILABLE, details: 'server shutting down; reconnect' });
    }
    expect(stopMs).toBeLessThan(GRPC_DRAIN_MS);
    app.client.close();
  });

  it('the memory store serves the same streams', async () => {
    const tenant = uniquePrefix('watch-memory');
    const app = await startTestApp({ TOKEN_ENGINE_STORE: 'memory', TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenant);
    try {
      await app.client.ok('RevokeAllUserTokens', { tenant_id: tenant, user_id: 'before' });
      const s = openWatch(app.client, { tenant_id: tenant });
      await s.caughtUp;
      await app.client.ok('RevokeAllUserTokens', { tenant_id: tenant, user_id: 'after' });
      await s.waitForEvents(2);
      expect(s.events.map((e) => e.user_id)).toEqual(['before', 'after']);
      const resumed = openWatch(app.client, { tenant_id: tenant, after: s.events[0]?.cursor ?? '' });
      await resumed.caughtUp;
      expect(resumed.events.map((e) => e.user_id)).toEqual(['after']);
      s.cancel();
      resumed.cancel();
    } finally {
      await app.stop();
    }
  });
});

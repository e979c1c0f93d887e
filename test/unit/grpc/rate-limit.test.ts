import { Writable } from 'node:stream';
import { Metadata, status } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ALLOW_ALL } from '../../../src/access/caller-registry.js';
import { callerRateLimits } from '../../../src/access/rate-limits.js';
import { ManualClock } from '../../../src/clock.js';
import { DomainError, storeUnavailable } from '../../../src/errors.js';
import { RpcCall } from '../../../src/grpc/call.js';
import { HEALTH_RPCS } from '../../../src/grpc/health.js';
import { RETRY_AFTER_HEADER, rateLimitStep, UNCHECKED_WARNING_INTERVAL_MS } from '../../../src/grpc/interceptors/rate-limit.js';
import type { RpcDescriptor } from '../../../src/grpc/rpc.js';
import { toStatus } from '../../../src/grpc/status.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { MemoryRateLimitStore } from '../../../src/store/memory/rate-limit-store.js';
import type { RateLimit, RateLimitStore } from '../../../src/store/ports.js';
import { issueToken } from '../../../src/tokens/rpcs.js';

// The step's decisions around a real (memory) store; the Redis store, two replicas and a
// Redis outage are in test/integration/rate-limit.test.ts.

/** The memory store, counting the calls that reach it; `fail` makes it throw instead. */
class CountingStore implements RateLimitStore {
  calls = 0;
  fail: Error | undefined;
  constructor(private readonly inner: RateLimitStore) {}
  take(key: string, limit: RateLimit): ReturnType<RateLimitStore['take']> {
    this.calls += 1;
    if (this.fail) return Promise.reject(this.fail);
    return this.inner.take(key, limit);
  }
}

function setup(defaultLimit = { perSecond: 1, burst: 2 }) {
  const clock = new ManualClock();
  const store = new CountingStore(new MemoryRateLimitStore(clock));
  const metrics = createMetrics();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const step = rateLimitStep({
    limits: callerRateLimits(ALLOW_ALL, defaultLimit),
    store,
    metrics,
    log: createLogger('info', sink),
    tracer: trace.getTracer('test'),
    now: () => clock.now(),
  });
  let handled = 0;
  const run = async (rpc: RpcDescriptor = issueToken as RpcDescriptor, identity = 'caller-a') => {
    const call = new RpcCall({ rpc, service: undefined }, new Metadata(), {}, new AbortController().signal, 'peer', () => ({}));
    call.callerIdentity = identity;
    try {
      await step(call, async () => {
        handled += 1;
        return 'answer';
      });
      return { call, error: undefined };
    } catch (error) {
      return { call, error };
    }
  };
  return { clock, store, metrics, lines, run, handled: () => handled };
}

describe('rateLimitStep', () => {
  it('costs no store call for a caller without a limit', async () => {
    const s = setup({ perSecond: 0, burst: 1 });
    for (let i = 0; i < 5; i += 1) expect((await s.run()).error).toBeUndefined();
    expect(s.store.calls).toBe(0);
    expect(s.handled()).toBe(5);
  });

  it('skips health checks', async () => {
    const s = setup();
    const check = HEALTH_RPCS[0] as RpcDescriptor;
    for (let i = 0; i < 5; i += 1) expect((await s.run(check)).error).toBeUndefined();
    expect(s.store.calls).toBe(0);
  });

  it('lets the burst through with one store call each, then refuses with RESOURCE_EXHAUSTED and the hint', async () => {
    const s = setup();
    expect((await s.run()).error).toBeUndefined();
    expect((await s.run()).error).toBeUndefined();
    const { call, error } = await s.run();
    expect(error).toBeInstanceOf(DomainError);
    expect(toStatus(error).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(call.responseHeaders.get(RETRY_AFTER_HEADER)).toEqual(['1000']);
    expect(call.errorTrailers.get(RETRY_AFTER_HEADER)).toEqual(['1000']);
    expect((error as Error).message).toBe('rate limit exceeded; retry after 1000 ms');
    expect(s.store.calls).toBe(3);
    expect(s.handled()).toBe(2);
    const refused = await s.metrics.rateLimited.get();
    expect(refused.values).toEqual([
      { value: 1, labels: { caller_identity: 'caller-a', rpc_method: '/token.v1.TokenEngine/IssueToken' } },
    ]);
    // Another caller is not held by caller-a's budget.
    expect((await s.run(undefined, 'caller-b')).error).toBeUndefined();
    s.clock.advance(1_000);
    expect((await s.run()).error).toBeUndefined();
  });

  it('lets calls through when the store is unreachable, counting each and warning at most every interval', async () => {
    const s = setup();
    s.store.fail = storeUnavailable(new Error('connect ECONNREFUSED'));
    for (let i = 0; i < 3; i += 1) expect((await s.run()).error).toBeUndefined();
    expect(s.handled()).toBe(3);
    expect((await s.metrics.rateLimitUnchecked.get()).values[0]?.value).toBe(3);
    const warnings = () => s.lines.filter((l) => l['msg'] === 'rate-limit store unavailable; letting calls through unchecked');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ err: 'connect ECONNREFUSED', rpc_method: '/token.v1.TokenEngine/IssueToken' });
    s.clock.advance(UNCHECKED_WARNING_INTERVAL_MS);
    await s.run();
    expect(warnings()).toHaveLength(2);
  });

  it('does not hide a store failure that is not unavailability (a bug answers INTERNAL)', async () => {
    const s = setup();
    s.store.fail = new Error('unexpected reply from script rate_limit: string');
    const { error } = await s.run();
    expect(toStatus(error).code).toBe(status.INTERNAL);
    expect(s.handled()).toBe(0);
  });
});

import { Metadata } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ManualClock } from '../../../src/clock.js';
import { DomainError } from '../../../src/errors.js';
import { RpcCall } from '../../../src/grpc/call.js';
import { idempotencyStep, REPLAY_HEADER } from '../../../src/grpc/interceptors/idempotency.js';
import type { RpcDescriptor } from '../../../src/grpc/rpc.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { MemoryIdempotencyStore } from '../../../src/store/memory/idempotency-store.js';

// The generic step around a descriptor's replay hooks (checkReplay, replayTtlMs); what the
// tokens feature does with them is in test/integration/idempotent-replay.test.ts.

const IDEMPOTENCY_TTL_MS = 60_000;
const SERVICE = { name: 'the service instance' };

function setup(hooks: { replayTtlMs?: number; refuse?: () => boolean } = {}) {
  const clock = new ManualClock();
  const seen: unknown[][] = [];
  const rpc = {
    kind: 'unary',
    service: 'test.v1.Test',
    method: 'Do',
    path: '/test.v1.Test/Do',
    schema: z.object({}),
    tenantOf: () => 'tenant-1',
    repeatable: false,
    public: false,
    idempotency: {
      fingerprint: (m: unknown) => m,
      ...(hooks.replayTtlMs === undefined ? {} : { replayTtlMs: () => hooks.replayTtlMs ?? 0 }),
      ...(hooks.refuse === undefined
        ? {}
        : {
            checkReplay: async (service: unknown, message: unknown, response: unknown) => {
              seen.push([service, message, response]);
              if (hooks.refuse?.()) throw new DomainError('refresh_token_revoked', 'refresh token revoked');
            },
          }),
    },
    handle: async () => ({}),
  } as unknown as RpcDescriptor;
  const step = idempotencyStep({
    store: new MemoryIdempotencyStore(clock),
    metrics: createMetrics(),
    log: createLogger('silent'),
    lockTtlMs: 30_000,
    idempotencyTtlMs: IDEMPOTENCY_TTL_MS,
    tracer: trace.getTracer('test'),
  });
  let handled = 0;
  const run = async () => {
    const md = new Metadata();
    md.set('x-idempotency-key', 'key-1');
    const call = new RpcCall({ rpc, service: SERVICE }, md, { n: 1 }, new AbortController().signal, 'peer', () => ({}));
    call.callerIdentity = 'caller-a';
    const response = await step(call, async () => {
      handled += 1;
      return { answer: handled };
    });
    return { response, replayed: call.responseHeaders.get(REPLAY_HEADER).length > 0 };
  };
  return { clock, seen, run, handled: () => handled };
}

describe('idempotency step: replay hooks', () => {
  it('asks checkReplay (with the service, the wire message and the stored response) before replaying', async () => {
    let refuse = false;
    const s = setup({ refuse: () => refuse });
    expect(await s.run()).toEqual({ response: { answer: 1 }, replayed: false });
    expect(s.seen).toEqual([]);
    expect(await s.run()).toEqual({ response: { answer: 1 }, replayed: true });
    expect(s.seen).toEqual([[SERVICE, { n: 1 }, { answer: 1 }]]);
    refuse = true;
    await expect(s.run()).rejects.toMatchObject({ code: 'refresh_token_revoked' });
    expect(s.handled()).toBe(1);
  });

  it('keeps a response only replayTtlMs when that is shorter; then the key is forgotten and the call runs again', async () => {
    const s = setup({ replayTtlMs: 5_000 });
    await s.run();
    s.clock.advance(4_999);
    expect(await s.run()).toEqual({ response: { answer: 1 }, replayed: true });
    s.clock.advance(1);
    expect(await s.run()).toEqual({ response: { answer: 2 }, replayed: false });
  });

  it('without hooks, or with a longer replayTtlMs, replays for the whole idempotency TTL', async () => {
    for (const s of [setup(), setup({ replayTtlMs: 10 * IDEMPOTENCY_TTL_MS })]) {
      await s.run();
      s.clock.advance(IDEMPOTENCY_TTL_MS - 1);
      expect(await s.run()).toEqual({ response: { answer: 1 }, replayed: true });
      s.clock.advance(1);
      expect(await s.run()).toEqual({ response: { answer: 2 }, replayed: false });
    }
  });
});

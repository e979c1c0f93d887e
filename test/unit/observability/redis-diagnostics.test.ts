import { createHash } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  subscribeRedisCommandTimings,
  subscribeRedisSpans,
  type RedisCommandSample,
} from '../../../src/observability/redis-diagnostics.js';
import { ISSUE, ROTATE } from '../../../src/store/redis/scripts.js';

/** What ioredis publishes for one command (node_modules/ioredis/built/Redis.js). */
const channel = tracingChannel<unknown, object>('ioredis:command');
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const SECRET_ARGS = ['te:{dGVuYW50}:rt:digest-of-a-token', 'user-42', 'caller-identity'];

function publish(command: string, args: unknown[], outcome: 'ok' | 'error' = 'ok'): Promise<unknown> {
  const message = { command, args, database: 0, serverAddress: '127.0.0.1', serverPort: 6379 };
  return channel
    .tracePromise(
      () => (outcome === 'ok' ? Promise.resolve('OK') : Promise.reject(new Error(`WRONGTYPE ${String(args[1])}`))),
      message,
    )
    .catch(() => undefined);
}

describe('Redis command timings from the ioredis:command channel', () => {
  it('labels commands by name and our scripts by name, whether sent as EVALSHA or EVAL', async () => {
    const samples: RedisCommandSample[] = [];
    const stop = subscribeRedisCommandTimings((s) => samples.push(s));
    await publish('evalsha', [sha1(ROTATE), 2, ...SECRET_ARGS]);
    await publish('eval', [ISSUE, 1, ...SECRET_ARGS]);
    await publish('evalsha', [sha1('return 1'), 0]);
    await publish('hgetall', ['te:{x}:keys']);
    await publish('set', ['k', '?'], 'error');
    stop();
    await publish('ping', []);
    expect(samples.map(({ command, script, outcome }) => [command, script, outcome])).toEqual([
      ['evalsha', 'rotate', 'ok'],
      ['eval', 'issue', 'ok'],
      ['evalsha', 'other', 'ok'],
      ['hgetall', '', 'ok'],
      ['set', '', 'error'],
    ]);
    for (const s of samples) expect(s.seconds).toBeGreaterThanOrEqual(0);
  });
});

describe('Redis spans from the ioredis:command channel', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  let stop: () => void;
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    stop = subscribeRedisSpans(tracer);
  });
  afterAll(async () => {
    stop();
    context.disable();
    await provider.shutdown();
  });

  it('opens a CLIENT span under the active span, with the command and script name and no argument', async () => {
    const parent = tracer.startSpan('parent');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await publish('evalsha', [sha1(ROTATE), 2, ...SECRET_ARGS]);
      await publish('evalsha', [sha1(ISSUE), 1, ...SECRET_ARGS], 'error');
    });
    parent.end();
    const [ok, failed] = exporter.getFinishedSpans().filter((s) => s.name !== 'parent');
    expect(ok?.name).toBe('EVALSHA rotate');
    expect(ok?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(ok?.attributes).toEqual({
      'db.system': 'redis',
      'db.system.name': 'redis',
      'db.operation.name': 'EVALSHA',
      'db.stored_procedure.name': 'rotate',
      'db.namespace': '0',
      'server.address': '127.0.0.1',
      'server.port': 6379,
    });
    expect(failed?.name).toBe('EVALSHA issue');
    expect(failed?.status).toEqual({ code: 2, message: 'Error' });
    const everything = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.events, s.status]));
    for (const secret of SECRET_ARGS) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('WRONGTYPE');
  });

  it('opens no span for a command outside any traced operation', async () => {
    exporter.reset();
    await publish('ping', []);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

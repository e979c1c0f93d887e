import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInRequestContext } from '../../../src/observability/context.js';
import { createLogger } from '../../../src/observability/logger.js';

function capture(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

describe('the service logger', () => {
  it('redacts secret fields, and the Redis command arguments ioredis attaches to errors', () => {
    const { log, lines } = capture();
    const redisError = Object.assign(new Error("READONLY You can't write against a read only replica."), {
      command: { name: 'evalsha', args: ['sha', 1, 'te:{dA}:rt:digest', 'user-1', '{"ssn":"123"}'] },
    });
    log.warn(
      {
        refresh_token: 'r-secret',
        idempotency_key: 'i-secret',
        metadata: { 'x-api-key': 'k-secret', authorization: 'Bearer b-secret' },
        request: { token: 't-secret', apiKey: 'a-secret', 'x-idempotency-key': 'h-secret' },
        err: redisError,
      },
      'something failed',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['r-secret', 'i-secret', 'k-secret', 'b-secret', 't-secret', 'a-secret', 'h-secret', 'user-1', 'ssn']) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]?.['err']).toMatchObject({
      message: expect.stringContaining('READONLY'),
      command: { name: 'evalsha', args: '[redacted]' },
    });
  });

  it('adds the correlation id inside a request, and nothing outside', () => {
    const { log, lines } = capture();
    log.info('outside');
    runInRequestContext({ correlationId: 'corr-1', method: '/m' }, () => log.info('inside'));
    expect(lines.map((l) => l['correlation_id'])).toEqual([undefined, 'corr-1']);
    expect(lines[1]?.['trace_id']).toBeUndefined();
  });

  describe('with tracing on', () => {
    const provider = new TracerProvider();
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    });
    afterAll(async () => {
      context.disable();
      await provider.shutdown();
    });

    it('adds the trace and span id of the active span to every line', () => {
      const { log, lines } = capture();
      const span = provider.getTracer('test').startSpan('op');
      context.with(trace.setSpan(context.active(), span), () => {
        runInRequestContext({ correlationId: 'corr-2', method: '/m' }, () => log.info('in a request'));
        log.info('in a span only');
      });
      span.end();
      log.info('after');
      const { traceId, spanId } = span.spanContext();
      expect(lines.map((l) => [l['correlation_id'], l['trace_id'], l['span_id']])).toEqual([
        ['corr-2', traceId, spanId],
        [undefined, traceId, spanId],
        [undefined, undefined, undefined],
      ]);
    });
  });
});

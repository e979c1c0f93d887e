import { Writable } from 'node:stream';
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { RpcCall } from '../../../src/grpc/call.js';
import { CORRELATION_HEADER, correlationStep } from '../../../src/grpc/interceptors/correlation.js';
import type { RpcDescriptor } from '../../../src/grpc/rpc.js';
import { createLogger, REDACT_PATHS } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { issueToken } from '../../../src/tokens/rpcs.js';

// The access line skips the redaction pass (src/observability/logger.ts, accessLogger): that
// is only safe while none of its fields is a redacted name and none holds an object.

/** Every field name a redact path can match at any depth: its last segment. */
const REDACTED_NAMES = new Set(REDACT_PATHS.map((path) => (path.match(/([^.[\]"]+)"?\]?$/)?.[1] ?? path).toLowerCase()));

function capture(): { lines: Record<string, unknown>[]; sink: Writable } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, sink };
}

describe('the access line', () => {
  it('has only scalar fields, none of them a redacted name, and the fields it always had', async () => {
    const { lines, sink } = capture();
    const step = correlationStep(createMetrics(), createLogger('info', sink));
    const metadata = new Metadata();
    metadata.set(CORRELATION_HEADER, 'corr-1');
    const call = new RpcCall(
      { rpc: issueToken as RpcDescriptor, service: undefined },
      metadata,
      { api_key: 'never-logged', refresh_token: 'never-logged' },
      new AbortController().signal,
      'peer',
      () => ({}),
    );
    call.callerIdentity = 'caller-a';
    await step(call, async () => 'answer');
    await new Promise((resolve) => setImmediate(resolve));
    const line = lines.find((l) => l['msg'] === 'rpc completed');
    expect(line).toMatchObject({
      level: 'info',
      correlation_id: 'corr-1',
      rpc_method: '/token.v1.TokenEngine/IssueToken',
      status: 'OK',
      caller_identity: 'caller-a',
      service: 'token-engine',
    });
    expect(typeof line?.['duration_ms']).toBe('number');
    for (const [name, value] of Object.entries(line ?? {})) {
      expect(REDACTED_NAMES.has(name.toLowerCase()), name).toBe(false);
      expect(typeof value === 'object' && value !== null, name).toBe(false);
    }
    expect(JSON.stringify(lines)).not.toContain('never-logged');
  });

  it('recognises the redacted names it checks against', () => {
    for (const name of ['token', 'refresh_token', 'x-api-key', 'authorization', 'args', 'secret']) {
      expect(REDACTED_NAMES.has(name), name).toBe(true);
    }
  });
});

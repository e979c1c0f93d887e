import { Metadata, status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { OtlpReceiver, spanTree, type ReceivedSpan } from '../support/otlp-receiver.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { MAIN, startService } from '../support/service-process.js';

const API_KEY = 'tracing-e2e-key';
const INSTRUMENT = MAIN.replace(/main\.js$/, 'instrument.js');

function serviceEnv(tenantId: string, otel: Record<string, string>): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'trace-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=trace-caller`,
    TOKEN_ENGINE_SIGNING_ALG: 'ES256',
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
    ...otel,
  };
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A W3C traceparent naming a sampled caller span, and its ids. */
function callerSpan(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const childrenOf = (spans: readonly ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] =>
  spans.filter((s) => s.parentSpanId === parent.spanId);

const only = (spans: readonly ReceivedSpan[], name: string | RegExp): ReceivedSpan => {
  const found = spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
  expect(
    found.map((s) => s.name),
    `exactly one span named ${String(name)}`,
  ).toHaveLength(1);
  return found[0] as ReceivedSpan;
};

describe('tracing of the built service (OTLP/gRPC export)', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });

  it('node dist/main.js with a host:port endpoint: one server span per RPC under the caller traceparent, children per interceptor, handler and Redis call; flushed at SIGTERM', async () => {
    const tenantId = uniquePrefix('trace');
    // A long batch delay: whatever arrives was sent by the flush at shutdown.
    const service = await startService(
      serviceEnv(tenantId, { OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${receiver.port}`, OTEL_BSP_SCHEDULE_DELAY: '600000' }),
    );
    const client = new TestClient(service.grpcAddress, API_KEY);
    const issued = callerSpan();
    const refused = callerSpan();
    const invalid = callerSpan();
    let exitCode: number | null;
    try {
      const md = client.metadata({
        traceparent: issued.traceparent,
        'x-idempotency-key': `trace-idem-${hex(4)}`,
        'x-correlation-id': 'trace-corr-1',
      });
      const ok = await client.call<WireTokenPair>('IssueToken', { sub: 'alice', tenant_id: tenantId }, md);
      expect(ok.error).toBeUndefined();

      const noKey = new Metadata();
      noKey.set('traceparent', refused.traceparent);
      expect((await client.call('IssueToken', { sub: 'alice', tenant_id: tenantId }, noKey)).error?.code).toBe(
        status.UNAUTHENTICATED,
      );

      const bad = await client.call(
        'IssueToken',
        { sub: '', tenant_id: tenantId },
        client.metadata({ traceparent: invalid.traceparent }),
      );
      expect(bad.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(receiver.spans).toHaveLength(0);
    } finally {
      client.close();
      exitCode = await service.stop('SIGTERM');
    }
    expect(exitCode).toBe(0);
    await receiver.waitFor('the flushed spans', (spans) => spans.some((s) => s.traceId === invalid.traceId));

    // IssueToken: the server span continues the caller's trace.
    const spans = receiver.trace(issued.traceId);
    const tree = spanTree(spans);
    const server = only(spans, 'token.v1.TokenEngine/IssueToken');
    expect(server.kind, tree).toBe('SPAN_KIND_SERVER');
    expect(server.parentSpanId).toBe(issued.spanId);
    expect(server.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'token.v1.TokenEngine',
      'rpc.method': 'IssueToken',
      'rpc.grpc.status_code': 0,
    });
    expect(server.status.code).toBe('STATUS_CODE_UNSET');
    expect(server.resource['service.name']).toBe('token-engine');
    expect(server.scope).toBe('token-engine');

    const steps = childrenOf(spans, server);
    expect(
      steps.map((s) => s.name),
      tree,
    ).toEqual(['authenticate', 'authorize', 'idempotency claim', 'validate', 'IssueToken', 'idempotency promote']);
    for (const step of steps) expect(step.kind).toBe('SPAN_KIND_INTERNAL');

    // Redis spans hang under the step that issued the command; command and script names only.
    const redisUnder = (step: string): ReceivedSpan => only(childrenOf(spans, only(steps, step)), /^EVAL(SHA)? /);
    const claim = redisUnder('idempotency claim');
    const issue = redisUnder('IssueToken');
    const promote = redisUnder('idempotency promote');
    expect(claim.name).toMatch(/^EVAL(SHA)? idempotency_claim$/);
    expect(issue.name).toMatch(/^EVAL(SHA)? issue$/);
    expect(promote.name).toMatch(/^EVAL(SHA)? idempotency_complete$/);
    for (const redis of [claim, issue, promote]) {
      expect(redis.kind).toBe('SPAN_KIND_CLIENT');
      expect(redis.attributes['db.system']).toBe('redis');
      expect(Object.keys(redis.attributes).sort()).toEqual([
        'db.namespace',
        'db.operation.name',
        'db.stored_procedure.name',
        'db.system',
        'db.system.name',
        'server.address',
        'server.port',
      ]);
      expect(childrenOf(spans, redis)).toHaveLength(0);
    }
    expect(spans, tree).toHaveLength(1 + steps.length + 3);

    // A call refused by authentication still gets its span, with the status it got.
    const refusedSpans = receiver.trace(refused.traceId);
    const refusedServer = only(refusedSpans, 'token.v1.TokenEngine/IssueToken');
    expect(refusedServer.parentSpanId).toBe(refused.spanId);
    expect(refusedServer.attributes['rpc.grpc.status_code']).toBe(status.UNAUTHENTICATED);
    expect(childrenOf(refusedSpans, refusedServer).map((s) => [s.name, s.attributes['rpc.grpc.status_code']])).toEqual([
      ['authenticate', status.UNAUTHENTICATED],
    ]);

    // So does one refused by validation.
    const invalidSpans = receiver.trace(invalid.traceId);
    const invalidServer = only(invalidSpans, 'token.v1.TokenEngine/IssueToken');
    expect(invalidServer.attributes['rpc.grpc.status_code']).toBe(status.INVALID_ARGUMENT);
    expect(only(invalidSpans, 'validate').attributes['rpc.grpc.status_code']).toBe(status.INVALID_ARGUMENT);
    expect(invalidSpans.map((s) => s.name)).not.toContain('IssueToken');

    // Log lines of a traced request carry its trace id; one access line per RPC.
    const lines = service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l['msg'] === 'rpc completed' && l['rpc_method'] === '/token.v1.TokenEngine/IssueToken');
    expect(access.map((l) => [l['trace_id'], l['status'], l['caller_identity']])).toEqual([
      [issued.traceId, 'OK', 'trace-caller'],
      [refused.traceId, 'Unauthenticated', ''],
      [invalid.traceId, 'InvalidArgument', 'trace-caller'],
    ]);
    expect(access[0]).toMatchObject({ level: 'info', correlation_id: 'trace-corr-1', span_id: server.spanId });
    expect(typeof access[0]?.['duration_ms']).toBe('number');
    for (const line of lines.filter((l) => l['correlation_id'] === 'trace-corr-1')) expect(line['trace_id']).toBe(issued.traceId);
  });

  it('node --import dist/instrument.js dist/main.js with an http:// endpoint: exports on its batch schedule, each span once', async () => {
    const tenantId = uniquePrefix('trace-import');
    const service = await startService(
      serviceEnv(tenantId, {
        NODE_OPTIONS: `--import=${INSTRUMENT}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      }),
    );
    const client = new TestClient(service.grpcAddress, API_KEY);
    const caller = callerSpan();
    try {
      await client.ok(
        'RevokeAllUserTokens',
        { user_id: 'bob', tenant_id: tenantId },
        client.metadata({ traceparent: caller.traceparent }),
      );
      // Exported while the service runs: no shutdown flush involved.
      await receiver.waitFor('the RevokeAllUserTokens trace', () =>
        receiver.trace(caller.traceId).some((s) => s.name === 'RevokeAllUserTokens'),
      );
      const spans = receiver.trace(caller.traceId);
      const tree = spanTree(spans);
      const server = only(spans, 'token.v1.TokenEngine/RevokeAllUserTokens');
      expect(
        childrenOf(spans, server).map((s) => s.name),
        tree,
      ).toEqual(['authenticate', 'authorize', 'validate', 'RevokeAllUserTokens']);
      // Loaded by --import and again by main.ts: one SDK, so one span per Redis command.
      expect(
        childrenOf(spans, only(spans, 'RevokeAllUserTokens')).map((s) => s.name),
        tree,
      ).toEqual([expect.stringMatching(/^EVAL(SHA)? revoke_watermark$/)]);
    } finally {
      client.close();
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });

  describe('with a TLS collector', () => {
    let pki: TestPki;
    let tlsReceiver: OtlpReceiver;
    beforeAll(async () => {
      pki = await makeTestPki();
      tlsReceiver = new OtlpReceiver();
      await tlsReceiver.start({ cert: pki.server.cert, key: pki.server.key });
    });
    afterAll(async () => {
      await tlsReceiver.stop();
      await pki.cleanup();
    });

    it('exports over TLS to an https:// endpoint, trusting OTEL_EXPORTER_OTLP_CERTIFICATE', async () => {
      const tenantId = uniquePrefix('trace-tls');
      const service = await startService(
        serviceEnv(tenantId, {
          OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${tlsReceiver.port}`,
          OTEL_EXPORTER_OTLP_CERTIFICATE: pki.caFile,
        }),
      );
      const client = new TestClient(service.grpcAddress, API_KEY);
      const caller = callerSpan();
      try {
        await client.ok(
          'IssueToken',
          { sub: 'carol', tenant_id: tenantId },
          client.metadata({ traceparent: caller.traceparent }),
        );
      } finally {
        client.close();
        expect(await service.stop('SIGTERM')).toBe(0);
      }
      await tlsReceiver.waitFor('the IssueToken trace over TLS', () =>
        tlsReceiver.trace(caller.traceId).some((s) => s.kind === 'SPAN_KIND_SERVER'),
      );
      expect(tlsReceiver.trace(caller.traceId).map((s) => s.name)).toContain('IssueToken');
    });
  });
});

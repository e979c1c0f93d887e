import { Metadata, status } from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { OtlpReceiver, spanTree, type ReceivedSpan } from '../support/otlp-receiver.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { MAIN, startService, type ServiceProcess } from '../support/service-process.js';

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

/** A W3C traceparent naming a caller span its caller chose not to sample. */
function unsampledCallerSpan(): { traceId: string; traceparent: string } {
  const traceId = hex(16);
  return { traceId, traceparent: `00-${traceId}-${hex(8)}-00` };
}

/** The JSON log lines of a service's output. */
const logLines = (service: ServiceProcess): Record<string, unknown>[] =>
  service
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The trace id on the access line of each IssueToken call, in call order (undefined: none). */
const accessTraceIds = (service: ServiceProcess): unknown[] =>
  logLines(service)
    .filter((l) => l['msg'] === 'rpc completed' && l['rpc_method'] === '/token.v1.TokenEngine/IssueToken')
    .map((l) => l['trace_id']);

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

describe('standard OTEL_* variables, read by the OpenTelemetry Node SDK in the built service', () => {
  // Each test gets its own collector: "nothing received" then means nothing was sent.
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = new OtlpReceiver();
    await receiver.start();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  /**
   * Starts the service with `otel`, lets `calls` run against it, then stops it with SIGTERM,
   * whose flush exports whatever is still buffered before the process exits.
   */
  async function runService(
    prefix: string,
    otel: Record<string, string>,
    calls: (client: TestClient, tenantId: string) => Promise<void>,
  ): Promise<ServiceProcess> {
    const tenantId = uniquePrefix(prefix);
    const service = await startService(serviceEnv(tenantId, otel));
    const client = new TestClient(service.grpcAddress, API_KEY);
    try {
      await calls(client, tenantId);
    } finally {
      client.close();
      expect(await service.stop('SIGTERM'), service.output()).toBe(0);
    }
    return service;
  }

  it.each([
    ['OTEL_TRACES_SAMPLER=always_off', { OTEL_TRACES_SAMPLER: 'always_off' }],
    [
      'OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG=0',
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
    ],
  ])('%s: calls succeed and no span is exported, even under a sampled caller', async (_name, sampler) => {
    const sampled = callerSpan();
    const service = await runService(
      'trace-sampler',
      { OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${receiver.port}`, ...sampler },
      async (client, tenantId) => {
        await client.ok(
          'IssueToken',
          { sub: 'dave', tenant_id: tenantId },
          client.metadata({ traceparent: sampled.traceparent }),
        );
        await client.ok('IssueToken', { sub: 'dave', tenant_id: tenantId });
      },
    );
    expect(receiver.spans).toEqual([]);
    expect(receiver.requests).toEqual([]);
    // The SDK ran and propagated the caller's trace (its id is on the log line); its sampler dropped the spans.
    expect(accessTraceIds(service)[0]).toBe(sampled.traceId);
  });

  it('OTEL_TRACES_SAMPLER=parentbased_always_on: follows a sampled caller, drops an unsampled one, samples a new root', async () => {
    const sampled = callerSpan();
    const unsampled = unsampledCallerSpan();
    const service = await runService(
      'trace-parentbased',
      { OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${receiver.port}`, OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
      async (client, tenantId) => {
        await client.ok(
          'IssueToken',
          { sub: 'erin', tenant_id: tenantId },
          client.metadata({ traceparent: sampled.traceparent }),
        );
        await client.ok(
          'IssueToken',
          { sub: 'erin', tenant_id: tenantId },
          client.metadata({ traceparent: unsampled.traceparent }),
        );
        await client.ok('IssueToken', { sub: 'erin', tenant_id: tenantId });
      },
    );
    const servers = receiver.spans.filter((s) => s.name === 'token.v1.TokenEngine/IssueToken');
    expect(
      servers.map((s) => [s.traceId, s.parentSpanId]),
      spanTree(receiver.spans),
    ).toEqual([
      [sampled.traceId, sampled.spanId],
      [expect.not.stringMatching(new RegExp(`${sampled.traceId}|${unsampled.traceId}`)), ''],
    ]);
    expect(receiver.trace(sampled.traceId).map((s) => s.name)).toContain('IssueToken');
    expect(receiver.trace(unsampled.traceId)).toEqual([]);
    expect(accessTraceIds(service)).toEqual([sampled.traceId, unsampled.traceId, servers[1]?.traceId]);
  });

  it.each([
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none' }],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
  ])('%s with an endpoint set: nothing is started or exported, calls succeed', async (_name, off) => {
    const caller = callerSpan();
    const service = await runService(
      'trace-off',
      { OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${receiver.port}`, ...off },
      async (client, tenantId) => {
        await client.ok(
          'IssueToken',
          { sub: 'frank', tenant_id: tenantId },
          client.metadata({ traceparent: caller.traceparent }),
        );
      },
    );
    expect(receiver.requests).toEqual([]);
    // No SDK, so not even the caller's trace context is carried to the log line.
    expect(accessTraceIds(service)).toEqual([undefined]);
  });

  it('OTEL_TRACES_EXPORTER=console without an endpoint: spans are printed instead of exported', async () => {
    const caller = callerSpan();
    const service = await runService('trace-console', { OTEL_TRACES_EXPORTER: 'console' }, async (client, tenantId) => {
      await client.ok('IssueToken', { sub: 'gina', tenant_id: tenantId }, client.metadata({ traceparent: caller.traceparent }));
    });
    const printed = service.output();
    expect(printed).toContain(`traceId: '${caller.traceId}'`);
    expect(printed).toContain(`name: 'token.v1.TokenEngine/IssueToken'`);
    expect(printed).toMatch(/name: 'EVAL(SHA)? issue'/);
    expect(receiver.requests).toEqual([]);
  });

  it('resource, headers, batch size and the traces-specific endpoint from the environment reach the collector', async () => {
    const unused = new OtlpReceiver();
    await unused.start();
    const caller = callerSpan();
    try {
      await runService(
        'trace-resource',
        {
          // The signal-specific endpoint wins over the generic one; both bare host:port (plaintext).
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `127.0.0.1:${receiver.port}`,
          OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${unused.port}`,
          OTEL_SERVICE_NAME: 'token-engine-e2e',
          OTEL_RESOURCE_ATTRIBUTES: 'service.name=overridden,service.namespace=auth,deployment.environment.name=e2e',
          OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-tenant=team-a,x-trace-source=token%20engine',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
          OTEL_BSP_SCHEDULE_DELAY: '600000',
        },
        async (client, tenantId) => {
          await client.ok(
            'IssueToken',
            { sub: 'hana', tenant_id: tenantId },
            client.metadata({ traceparent: caller.traceparent }),
          );
        },
      );
    } finally {
      await unused.stop();
    }
    expect(unused.requests).toEqual([]);
    const spans = receiver.trace(caller.traceId);
    expect(spans.map((s) => s.name)).toContain('token.v1.TokenEngine/IssueToken');
    for (const span of receiver.spans) {
      // OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, both over the default.
      expect(span.resource).toMatchObject({
        'service.name': 'token-engine-e2e',
        'service.namespace': 'auth',
        'deployment.environment.name': 'e2e',
        'telemetry.sdk.language': 'nodejs',
      });
    }
    expect(receiver.requests.length).toBeGreaterThan(1);
    for (const request of receiver.requests) {
      expect(request.transport).toBe('grpc');
      expect(request.headers).toMatchObject({ 'x-collector-tenant': 'team-a', 'x-trace-source': 'token engine' });
      expect(request.spans).toBeLessThanOrEqual(2);
    }
    expect(receiver.requests.reduce((sum, r) => sum + r.spans, 0)).toBe(receiver.spans.length);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf exports to OTLP/HTTP /v1/traces, with the headers', async () => {
    await receiver.startHttp();
    const caller = callerSpan();
    await runService(
      'trace-http',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.httpPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-tenant=team-b',
      },
      async (client, tenantId) => {
        await client.ok('IssueToken', { sub: 'ivan', tenant_id: tenantId }, client.metadata({ traceparent: caller.traceparent }));
      },
    );
    const server = only(receiver.trace(caller.traceId), 'token.v1.TokenEngine/IssueToken');
    expect(server.parentSpanId).toBe(caller.spanId);
    expect(server.resource['service.name']).toBe('token-engine');
    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const request of receiver.requests) {
      expect(request.transport).toBe('http');
      expect(request.headers['x-collector-tenant']).toBe('team-b');
    }
  });

  /** The probe's answer, with the packages (node_modules/<name>/) it resolved a module of. */
  function probeResult(out: string): { enabled: boolean; recording: boolean; packages: string[] } {
    const { enabled, recording, resolved } = JSON.parse(out) as { enabled: boolean; recording: boolean; resolved: string[] };
    const packages = resolved.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []);
    return { enabled, recording, packages: [...new Set(packages)].sort() };
  }

  /**
   * Imports dist/instrument.js in a fresh Node process that records every module it
   * resolves, starts one span through the API and shuts tracing down.
   */
  function probeInstrument(env: Record<string, string>): Promise<{ enabled: boolean; recording: boolean; packages: string[] }> {
    const probe = `
      import { registerHooks } from 'node:module';
      const resolved = new Set();
      registerHooks({ resolve: (specifier, context, next) => { const r = next(specifier, context); resolved.add(r.url); return r; } });
      const { trace } = await import('@opentelemetry/api');
      const instrument = await import(${JSON.stringify(pathToFileURL(INSTRUMENT).href)});
      const span = trace.getTracer('probe').startSpan('probe span');
      const recording = span.isRecording();
      span.end();
      await instrument.shutdownTracing();
      process.stdout.write(JSON.stringify({ enabled: instrument.tracingEnabled, recording, resolved: [...resolved] }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '--eval', probe], {
      cwd: dirname(dirname(INSTRUMENT)),
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    return new Promise((resolve, reject) => {
      child.on('exit', (code) =>
        code === 0 ? resolve(probeResult(out)) : reject(new Error(`probe exited with ${code}: ${err}`)),
      );
    });
  }

  it('when off, instrument.js loads no SDK package and the API stays a no-op; when on, the NodeSDK records', async () => {
    const off = await probeInstrument({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'not-enough' });
    expect(off).toEqual({ enabled: false, recording: false, packages: ['@opentelemetry/api'] });

    const on = await probeInstrument({ OTEL_EXPORTER_OTLP_ENDPOINT: `127.0.0.1:${receiver.port}` });
    expect(on).toMatchObject({ enabled: true, recording: true });
    expect(on.packages).toContain('@opentelemetry/sdk-node');
    expect(receiver.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([['probe span', 'token-engine']]);
  });
});

/**
 * One descriptor is all a new RPC needs: a service that exists only in this test is
 * served through the real chain (authentication, caller authorization, idempotency,
 * validation, metrics) with no other file touched.
 */
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type Server, ServerCredentials, status } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { apiKeyAuthentication, StaticKeyAuthenticator } from '../../src/access/authenticate.js';
import { parseCallerRegistry } from '../../src/access/caller-registry.js';
import { callerRateLimits } from '../../src/access/rate-limits.js';
import { systemClock } from '../../src/clock.js';
import { identifier, idempotencyKey, tenantId } from '../../src/grpc/fields.js';
import { interceptorChain } from '../../src/grpc/interceptors/index.js';
import { LOADER_OPTIONS } from '../../src/grpc/proto.js';
import { bind, rpcsOf } from '../../src/grpc/rpc.js';
import { bindGrpcServer, createGrpcServer } from '../../src/grpc/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createMemoryStores } from '../../src/store/memory/index.js';

interface EchoRequest {
  tenant_id: string;
  text: string;
  idempotency_key: string;
}
interface EchoReply {
  text: string;
  handled: number;
}
/** The generated-definition shape of the test service (what proto-loader-gen-types would write). */
interface ThrowawayDefinition {
  Echo: { requestDeserialize(bytes: Buffer): EchoRequest; responseSerialize(value: EchoReply): Buffer };
}

/** The one descriptor of the new RPC. */
const echo = rpcsOf<ThrowawayDefinition>('test.v1.Throwaway').unary('Echo', {
  schema: z.strictObject({ tenant_id: tenantId, text: identifier('text'), idempotency_key: idempotencyKey }),
  idempotency: { fingerprint: (m) => [m.tenant_id, m.text] },
  handle: async (counter: { handled: number }, req) => {
    counter.handled += 1;
    return { text: req.text.toUpperCase(), handled: counter.handled };
  },
});

const API_KEY = 'throwaway-key';
const PATH = '/test.v1.Throwaway/Echo';
type Unary = (
  req: object,
  md: Metadata,
  cb: (err: { code: number; details: string } | null, res: EchoReply) => void,
) => {
  on(event: 'metadata', listener: (md: Metadata) => void): void;
};

let server: Server;
let client: { Echo: Unary; close(): void };
const counter = { handled: 0 };
const metrics = createMetrics();

beforeAll(async () => {
  const packageDefinition = protoLoader.loadSync('test/v1/throwaway.proto', {
    ...LOADER_OPTIONS,
    includeDirs: [join(import.meta.dirname, '..', 'support', 'proto')],
  });
  const stores = createMemoryStores(systemClock);
  const callers = parseCallerRegistry('version: 1\ncallers:\n  - identity: echo-caller\n    permitted_tenants: [t1]\n', 'inline');
  server = createGrpcServer({
    steps: interceptorChain({
      metrics,
      log: createLogger('silent'),
      authenticate: apiKeyAuthentication(new StaticKeyAuthenticator(new Map([[API_KEY, 'echo-caller']]))),
      callers,
      rateLimits: callerRateLimits(callers, { perSecond: 0, burst: 1 }),
      rateLimitStore: stores.rateLimits,
      idempotency: stores.idempotency,
      lockTtlMs: 30_000,
      idempotencyTtlMs: 60_000,
    }),
    rpcs: bind(counter, [echo]),
    packageDefinition,
    log: createLogger('silent'),
    reflection: false,
    maxConnectionAgeMs: 60_000,
    maxConnectionAgeGraceMs: 1_000,
  });
  const port = await bindGrpcServer(server, '127.0.0.1', 0, ServerCredentials.createInsecure());
  const pkg = loadPackageDefinition(packageDefinition) as unknown as {
    test: { v1: { Throwaway: new (address: string, creds: unknown) => { Echo: Unary; close(): void } } };
  };
  client = new pkg.test.v1.Throwaway(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(() => {
  client.close();
  server.forceShutdown();
});

function call(request: Partial<EchoRequest>, headers: Record<string, string> = { 'x-api-key': API_KEY }) {
  const md = new Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  return new Promise<{ error?: { code: number; details: string }; reply?: EchoReply; headers: Metadata }>((resolve) => {
    let received = new Metadata();
    const c = client.Echo(request, md, (err, reply) =>
      resolve(err ? { error: err, headers: received } : { reply, headers: received }),
    );
    c.on('metadata', (m) => {
      received = m;
    });
  });
}

describe('a throwaway RPC defined by one descriptor', () => {
  it('is served, with the correlation id echoed', async () => {
    const before = counter.handled;
    const r = await call({ tenant_id: 't1', text: 'hello' }, { 'x-api-key': API_KEY, 'x-correlation-id': 'echo-1' });
    expect(r.reply).toEqual({ text: 'HELLO', handled: before + 1 });
    expect(r.headers.get('x-correlation-id')).toEqual(['echo-1']);
  });

  it('is authenticated and authorized by the chain', async () => {
    expect((await call({ tenant_id: 't1', text: 'x' }, {})).error?.code).toBe(status.UNAUTHENTICATED);
    const denied = await call({ tenant_id: 't2', text: 'x' });
    expect(denied.error).toMatchObject({ code: status.PERMISSION_DENIED, details: 'caller not authorized' });
  });

  it('is validated with its schema, the message naming the field', async () => {
    const before = counter.handled;
    const r = await call({ tenant_id: 't1', text: '  ' });
    expect(r.error).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'text must not be empty' });
    expect(counter.handled).toBe(before);
  });

  it('is idempotent: a repeat replays the first answer, other content with the key is refused', async () => {
    const headers = { 'x-api-key': API_KEY, 'x-idempotency-key': 'echo-key-1' };
    const first = await call({ tenant_id: 't1', text: 'once' }, headers);
    const again = await call({ tenant_id: 't1', text: 'once' }, headers);
    expect(again.reply).toEqual(first.reply);
    expect(again.headers.get('x-idempotent-replay')).toEqual(['true']);
    expect(first.headers.get('x-idempotent-replay')).toEqual([]);
    const other = await call({ tenant_id: 't1', text: 'twice' }, headers);
    expect(other.error?.code).toBe(status.FAILED_PRECONDITION);
  });

  it('is counted under its path', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`token_engine_grpc_requests_total\\{rpc_method="${PATH}",status="OK"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`token_engine_idempotency_total\\{result="hit",rpc_method="${PATH}"\\} 1`));
  });
});

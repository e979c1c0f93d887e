// Load generator: one process, one HTTP/2 connection, `concurrency` calls in flight.
// Timed calls go over raw node:http2 with pre-encoded gRPC frames (a grpc-js client costs
// several times more CPU per call, and on a small machine the generator would measure
// itself); seeding uses grpc-js.
// Usage: node dist/bench/bench/loadgen.js '<json options>'  → prints one JSON line of results.
import { connect, constants, type OutgoingHttpHeaders } from 'node:http2';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { AnyDefinition, MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import type { IssueTokenRequest } from '../src/generated/token/v1/IssueTokenRequest.js';
import type { TokenPair__Output } from '../src/generated/token/v1/TokenPair.js';
import { ENVOY_AUTH_PROTO } from '../src/ext-authz/check.js';
import { loadTokenEngineProto } from '../src/grpc/proto.js';
import { percentile } from './lib.js';

/** What the orchestrator asks for (one JSON argument). */
export interface LoadOptions {
  readonly target: string;
  readonly mode: LoadMode;
  readonly concurrency: number;
  readonly durationMs?: number;
  readonly maxCalls?: number;
  readonly tenantId: string;
  readonly apiKey?: string;
  /** revoke-user: whose tokens; seed-user: whom to issue for. */
  readonly userId?: string;
  /** seed-user: how many tokens. */
  readonly count?: number;
  /** echo-validate, echo-check: the length of the stand-in access token. */
  readonly tokenLength?: number;
}

export type LoadMode =
  | 'issue'
  | 'issue-dpop'
  | 'echo'
  | 'issue-replay'
  | 'refresh'
  | 'revoke'
  | 'revoke-user'
  | 'revoke-audience'
  | 'revoke-user-audience'
  | 'seed-user'
  | 'validate'
  | 'exchange'
  | 'check'
  | 'echo-validate'
  | 'echo-check';

/** The JSON line printed at the end of a timed run. */
export interface LoadResult {
  readonly mode: LoadMode;
  readonly concurrency: number;
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const { proto, packageDefinition } = loadTokenEngineProto([ENVOY_AUTH_PROTO]);
const client = new proto.token.v1.TokenEngine(o.target, credentials.createInsecure(), {
  'grpc.max_concurrent_streams': 1000,
});
const md = new Metadata();
md.set('x-api-key', o.apiKey ?? 'bench-key');

const issue = (req: IssueTokenRequest, meta = md) =>
  new Promise<{ err: ServiceError | null; res: TokenPair__Output | undefined }>((resolve) =>
    client.IssueToken(req, meta, (err, res) => resolve({ err, res })),
  );

async function pool(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** Pre-issues refresh tokens (not timed). */
async function seed(count: number, sub = (i: number) => `seed-${i}`): Promise<string[]> {
  const tokens = new Array<string>(count);
  await pool(count, 64, async (i) => {
    const r = await issue({ sub: sub(i), tenant_id: o.tenantId });
    if (r.err || !r.res) throw new Error(`seed failed: ${r.err?.details}`);
    tokens[i] = r.res.refresh_token;
  });
  return tokens;
}

/** Envoy's CheckRequest for a GET with this bearer token (what the ext_authz filter sends). */
const checkRequest = (token: string): object => ({
  attributes: {
    request: {
      http: {
        method: 'GET',
        path: '/orders',
        host: 'api.example',
        scheme: 'https',
        headers: { authorization: `Bearer ${token}`, ':path': '/orders' },
      },
    },
    context_extensions: { tenant_id: o.tenantId },
  },
});

const maxCalls = o.maxCalls ?? 2000;
let requestFor: (i: number) => object;
let method = 'IssueToken';
let service = 'token.v1.TokenEngine';
let callMeta = md;
switch (o.mode) {
  case 'issue':
  case 'echo':
    requestFor = (i) => ({ sub: `bench-user-${i % 1000}`, tenant_id: o.tenantId, claims: { role: 'reader', org: 'bench' } });
    break;
  case 'issue-dpop': {
    // One fresh proof per call (a jti is accepted once), made before the timed phase so
    // that the generator's signing does not compete with the service for the CPU.
    const { createDpopProver } = await import('../client/dpop.js');
    const { generateKeyPair } = await import('jose');
    const prover = await createDpopProver(await generateKeyPair('ES256'), 'ES256');
    const htu = 'https://as.example/token';
    const proofs = new Array<string>(maxCalls + 50);
    for (let i = 0; i < proofs.length; i++) proofs[i] = await prover.proof({ htm: 'POST', htu });
    requestFor = (i) => ({
      sub: `bench-user-${i % 1000}`,
      tenant_id: o.tenantId,
      claims: { role: 'reader', org: 'bench' },
      dpop: { proof: proofs[i], htm: 'POST', htu },
    });
    break;
  }
  case 'issue-replay': {
    callMeta = md.clone();
    callMeta.set('x-idempotency-key', `bench-replay-${process.pid}`);
    const req = { sub: 'bench-replay', tenant_id: o.tenantId, claims: { role: 'reader', org: 'bench' } };
    await issue(req, callMeta);
    requestFor = () => req;
    break;
  }
  case 'refresh': {
    const tokens = await seed(maxCalls + 50);
    method = 'RefreshToken';
    requestFor = (i) => ({ refresh_token: tokens[i], tenant_id: o.tenantId });
    break;
  }
  case 'revoke': {
    const tokens = await seed(maxCalls + 50);
    method = 'RevokeToken';
    requestFor = (i) => ({ refresh_token: tokens[i], tenant_id: o.tenantId });
    break;
  }
  case 'revoke-user':
    method = 'RevokeAllUserTokens';
    requestFor = () => ({ user_id: o.userId ?? 'bench-user-1', tenant_id: o.tenantId });
    break;
  case 'revoke-audience':
    method = 'RevokeAllForAudience';
    requestFor = () => ({ audience: 'bench-api', tenant_id: o.tenantId });
    break;
  case 'revoke-user-audience':
    method = 'RevokeAllForUserAndAudience';
    requestFor = () => ({ user_id: 'bench-user-1', audience: 'bench-api', tenant_id: o.tenantId });
    break;
  case 'validate':
  case 'check': {
    // Validation reads: a few hundred distinct tokens of distinct users, reused in turn.
    const tokens = await Promise.all(
      Array.from({ length: 256 }, async (_, i) => {
        const r = await issue({ sub: `bench-validate-${i}`, tenant_id: o.tenantId, claims: { role: 'reader' } });
        if (r.err || !r.res) throw new Error(`seed failed: ${r.err?.details}`);
        return r.res.access_token;
      }),
    );
    const token = (i: number): string => tokens[i % tokens.length] ?? '';
    if (o.mode === 'validate') {
      method = 'ValidateToken';
      requestFor = (i) => ({ tenant_id: o.tenantId, access_token: token(i) });
    } else {
      service = 'envoy.service.auth.v3.Authorization';
      method = 'Check';
      requestFor = (i) => checkRequest(token(i));
    }
    break;
  }
  case 'exchange': {
    // One key, exchanged again and again (its last use is written at most once a minute).
    const created = await new Promise<string>((resolve, reject) =>
      client.CreateApiKey(
        { tenant_id: o.tenantId, owner: `bench-${process.pid}`, name: 'bench', claims: { role: 'reader' } },
        md,
        (err, res) => (err || !res ? reject(err ?? new Error('no answer')) : resolve(res.api_key)),
      ),
    );
    method = 'ExchangeApiKey';
    requestFor = () => ({ tenant_id: o.tenantId, api_key: created });
    break;
  }
  case 'echo-validate': {
    method = 'ValidateToken';
    const token = 'x'.repeat(o.tokenLength ?? 700);
    requestFor = () => ({ tenant_id: o.tenantId, access_token: token });
    break;
  }
  case 'echo-check': {
    service = 'envoy.service.auth.v3.Authorization';
    method = 'Check';
    const token = 'x'.repeat(o.tokenLength ?? 700);
    requestFor = () => checkRequest(token);
    break;
  }
  case 'seed-user': {
    const count = o.count ?? 0;
    await seed(count, () => o.userId ?? 'bench-user-1');
    console.log(JSON.stringify({ seeded: count }));
    process.exit(0);
    break;
  }
  default:
    throw new Error(`unknown mode ${String(o.mode)}`);
}

function isService(definition: AnyDefinition | undefined): definition is ServiceDefinition {
  return definition !== undefined && !('format' in definition);
}

function methodDefinition(serviceName: string, name: string): MethodDefinition<object, object> {
  const definition = packageDefinition[serviceName];
  const found = isService(definition) ? definition[name] : undefined;
  if (!found) throw new Error(`${serviceName} has no method ${name}`);
  return found;
}

const definition = methodDefinition(service, method);
const session = connect(`http://${o.target}`);
session.on('error', () => {});
const headers: OutgoingHttpHeaders = {
  [constants.HTTP2_HEADER_METHOD]: 'POST',
  [constants.HTTP2_HEADER_PATH]: definition.path,
  'content-type': 'application/grpc',
  te: 'trailers',
};
for (const [key, value] of Object.entries(callMeta.getMap())) headers[key] = String(value);

/** One unary call over raw HTTP/2; resolves with the grpc-status (0 = OK) and message. */
function raw(request: object): Promise<{ status: number; message: string | undefined }> {
  const body = definition.requestSerialize(request);
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return new Promise((resolve) => {
    const stream = session.request(headers);
    let status: number | undefined;
    let message: string | undefined;
    const read = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] === undefined) return;
      status = Number(h['grpc-status']);
      message = h['grpc-message'] === undefined ? undefined : String(h['grpc-message']);
    };
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', () => {});
    stream.on('close', () => resolve({ status: status ?? 14, message }));
    stream.end(frame);
  });
}

// Warm-up on requests the timed phase does not use: connections, JIT, caches.
const warm = Math.min(50, Math.floor(maxCalls / 10));
await pool(warm, o.concurrency, (i) => raw(requestFor(maxCalls + i)));

// Tells the orchestrator the timed phase starts now (it reads the service's CPU here).
console.log(JSON.stringify({ phase: 'timed' }));
const latencies: number[] = [];
let errors = 0;
let firstError: string | undefined;
const deadline = Date.now() + (o.durationMs ?? 5000);
const started = process.hrtime.bigint();
let issued = 0;
await Promise.all(
  Array.from({ length: o.concurrency }, async () => {
    while (issued < maxCalls && Date.now() < deadline) {
      const i = issued++;
      const t0 = process.hrtime.bigint();
      const r = await raw(requestFor(i));
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) {
        errors++;
        firstError ??= `${r.status} ${decodeURIComponent(r.message ?? '')}`;
      }
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
latencies.sort((a, b) => a - b);
client.close();
session.close();
const result: LoadResult = {
  mode: o.mode,
  concurrency: o.concurrency,
  calls: latencies.length,
  errors,
  firstError,
  seconds,
  rps: latencies.length / seconds,
  p50: percentile(latencies, 50),
  p90: percentile(latencies, 90),
  p99: percentile(latencies, 99),
};
console.log(JSON.stringify(result));

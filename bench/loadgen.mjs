// Load generator: one process, one HTTP/2 connection, `concurrency` calls in flight.
// Timed calls go over raw node:http2 with pre-encoded gRPC frames (a grpc-js client costs
// several times more CPU per call, and on a small machine the generator would measure
// itself); seeding uses grpc-js.
// Usage: node bench/loadgen.mjs '<json options>'  → prints one JSON line of results.
import { connect, constants } from 'node:http2';
import { credentials, Metadata } from '@grpc/grpc-js';
import { loadTokenEngineProto } from '../dist/grpc/proto.js';
import { percentile } from './lib.mjs';

const o = JSON.parse(process.argv[2]);
const { proto, packageDefinition } = loadTokenEngineProto();
const client = new proto.token.v1.TokenEngine(o.target, credentials.createInsecure(), {
  'grpc.max_concurrent_streams': 1000,
});
const md = new Metadata();
md.set('x-api-key', o.apiKey ?? 'bench-key');

const call = (method, req, meta = md) =>
  new Promise((resolve) => client[method](req, meta, (err, res) => resolve(err ? { err } : { res })));

async function pool(count, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

/** Pre-issues refresh tokens (not timed). */
async function seed(count, sub = (i) => `seed-${i}`) {
  const tokens = new Array(count);
  await pool(count, 64, async (i) => {
    const r = await call('IssueToken', { sub: sub(i), tenant_id: o.tenantId });
    if (r.err) throw new Error(`seed failed: ${r.err.details}`);
    tokens[i] = r.res.refresh_token;
  });
  return tokens;
}

const maxCalls = o.maxCalls ?? 2000;
let requestFor;
let method = 'IssueToken';
let callMeta = md;
switch (o.mode) {
  case 'issue':
  case 'echo':
    requestFor = (i) => ({ sub: `bench-user-${i % 1000}`, tenant_id: o.tenantId, claims: { role: 'reader', org: 'bench' } });
    break;
  case 'issue-replay': {
    callMeta = md.clone();
    callMeta.set('x-idempotency-key', `bench-replay-${process.pid}`);
    const req = { sub: 'bench-replay', tenant_id: o.tenantId, claims: { role: 'reader', org: 'bench' } };
    await call('IssueToken', req, callMeta);
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
  case 'seed-user': {
    await seed(o.count, () => o.userId);
    console.log(JSON.stringify({ seeded: o.count }));
    process.exit(0);
    break;
  }
  default:
    throw new Error(`unknown mode ${o.mode}`);
}

const definition = packageDefinition['token.v1.TokenEngine'][method];
const session = connect(`http://${o.target}`);
session.on('error', () => {});
const headers = {
  [constants.HTTP2_HEADER_METHOD]: 'POST',
  [constants.HTTP2_HEADER_PATH]: definition.path,
  'content-type': 'application/grpc',
  te: 'trailers',
};
for (const key of callMeta.getMap ? Object.keys(callMeta.getMap()) : []) headers[key] = String(callMeta.getMap()[key]);

/** One unary call over raw HTTP/2; resolves with the grpc-status (0 = OK) and message. */
function raw(request) {
  const body = definition.requestSerialize(request);
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return new Promise((resolve) => {
    const stream = session.request(headers);
    let status;
    let message;
    stream.on('response', (h) => {
      if (h['grpc-status'] !== undefined) [status, message] = [Number(h['grpc-status']), h['grpc-message']];
    });
    stream.on('trailers', (t) => ([status, message] = [Number(t['grpc-status']), t['grpc-message']]));
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
const latencies = [];
let errors = 0;
let firstError;
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
console.log(
  JSON.stringify({
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
  }),
);

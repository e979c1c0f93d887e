/**
 * Fuzzing the gRPC surface with a seeded generator (FUZZ_SEED=<n> replays a run; the seed
 * is printed): random and mutated protobuf bytes, broken gRPC framing, oversized length
 * prefixes and random metadata sent as raw HTTP/2 to every method; garbage bytes on raw
 * TCP connections; and random field values through a normal client. The service must not
 * crash or hang, and must answer only statuses a caller can act on. INTERNAL is accepted
 * only when grpc-js itself produced it before any of our code ran (its message says so:
 * an undecodable message, an unparsable grpc-timeout, a failed decompression); the
 * product's own INTERNAL ("internal error") must never appear. Afterwards the service
 * still issues tokens and is ready.
 */
import { connect as connectTcp } from 'node:net';
import { connect as connectHttp2, constants as h2, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenEngineProto } from '../../src/grpc/proto.js';
import { INTERNAL_MESSAGE, statusName } from '../../src/grpc/status.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import type { RpcName } from '../support/grpc-client.js';

const RAW_CASES = 1_200;
const TCP_CASES = 50;
const CLIENT_CASES = 750;
const CONCURRENCY = 32;
const CASE_TIMEOUT_MS = 5_000;
const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** What a caller may see: each is a clear answer to act on. */
const ALLOWED = new Set<number>([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.RESOURCE_EXHAUSTED,
  status.UNIMPLEMENTED,
]);
/** grpc-js's own INTERNAL answers, produced before an interceptor or handler of ours runs. */
const TRANSPORT_INTERNAL = [/^Error deserializing request/, /^Invalid grpc-timeout value/, /^Failed to decompress message/];

const METHODS: readonly RpcName[] = [
  'IssueToken',
  'RefreshToken',
  'RevokeToken',
  'RevokeAllForAudience',
  'RevokeAllUserTokens',
  'RevokeAllForUserAndAudience',
  'ValidateToken',
];
const PATHS = [
  ...METHODS.map((m) => `/token.v1.TokenEngine/${m}`),
  '/grpc.health.v1.Health/Check',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
];

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  printable(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + this.int(0x5f));
    return s;
  }
  /** Any code points: controls, astral, lone surrogates, combining marks, NUL. */
  unicode(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const kind = this.int(6);
      if (kind === 0) s += String.fromCharCode(this.int(0x20));
      else if (kind === 1) s += String.fromCharCode(0xd800 + this.int(0x800));
      else if (kind === 2) s += String.fromCodePoint(0x10000 + this.int(0xfffff));
      else if (kind === 3) s += String.fromCharCode(0x300 + this.int(0x70));
      else s += String.fromCharCode(this.int(0xffff));
    }
    return s;
  }
  /** A string of a random flavour and size, from empty to far beyond every limit. */
  text(): string {
    const size = this.pick([0, 1, 5, 43, 64, 255, 256, 257, 1_000, 5_000, 70_000]);
    const flavour = this.int(5);
    if (flavour === 0) return this.unicode(Math.min(size, 20_000));
    if (flavour === 1) return this.printable(size);
    if (flavour === 2) return ' \t\n'.repeat(size);
    if (flavour === 3) return this.bytes(size).toString('base64url');
    return this.pick(['sub', 'iss', 'aud', 'exp', '__proto__', 'constructor', '', ' ', '\u0000', 'a:b', '{x}']);
  }
}

/** One gRPC message frame: flag, 4-byte length, body. */
function frame(body: Buffer, options: { compressed?: boolean; declaredLength?: number } = {}): Buffer {
  const head = Buffer.alloc(5);
  head[0] = options.compressed ? 1 : 0;
  head.writeUInt32BE(options.declaredLength ?? body.length, 1);
  return Buffer.concat([head, body]);
}

/** grpc-message is percent-encoded (gRPC over HTTP/2), but a raw `%` may come through as is. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface Outcome {
  readonly kind: string;
  /** HTTP status of the response; 0 when none came (connection or stream level). */
  readonly http: number;
  readonly grpcStatus?: number;
  readonly message: string;
  /** RST_STREAM code the stream ended with (raw cases). */
  readonly reset?: number;
  /** The request carried a grpc-timeout header. */
  readonly deadlineSent?: true;
}

let t: TestApp;
let session: ClientHttp2Session;
let serializers: Map<string, (value: object) => Buffer>;
const grpcPort = (): number => Number(t.grpcAddress.split(':')[1]);

beforeAll(async () => {
  t = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'info' });
  session = connectHttp2(`http://${t.grpcAddress}`);
  session.on('error', () => undefined);
  const { packageDefinition } = loadTokenEngineProto();
  const service = packageDefinition['token.v1.TokenEngine'] as Record<string, { requestSerialize: (value: object) => Buffer }>;
  serializers = new Map(
    METHODS.map((m) => [`/token.v1.TokenEngine/${m}`, service[m]?.requestSerialize ?? (() => Buffer.alloc(0))]),
  );
});
afterAll(async () => {
  session?.close();
  await t?.stop();
});

/** Sends one raw HTTP/2 request and reads what comes back; rejects if nothing ends it in time. */
function rawCall(kind: string, headers: OutgoingHttpHeaders, body: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let req: ReturnType<ClientHttp2Session['request']>;
    try {
      req = session.request(headers);
    } catch (err) {
      // Node refused to send it (an invalid header): nothing reached the server.
      resolve({ kind: `${kind} (not sendable: ${(err as NodeJS.ErrnoException).code})`, http: 0, message: '' });
      return;
    }
    let http = 0;
    let grpcStatus: number | undefined;
    let message = '';
    const read = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = percentDecoded(String(h['grpc-message']));
    };
    const timer = setTimeout(() => {
      req.close(h2.NGHTTP2_CANCEL);
      reject(new Error(`${kind}: no answer in ${CASE_TIMEOUT_MS} ms`));
    }, CASE_TIMEOUT_MS);
    req.on('response', (h) => {
      http = Number(h[':status']);
      read(h);
    });
    req.on('trailers', read);
    req.on('data', () => undefined);
    req.on('error', () => undefined);
    req.on('close', () => {
      clearTimeout(timer);
      resolve({
        kind,
        http,
        ...(grpcStatus === undefined ? {} : { grpcStatus }),
        message,
        reset: req.rstCode,
        ...(headers['grpc-timeout'] === undefined ? {} : { deadlineSent: true }),
      });
    });
    req.end(body);
  });
}

/** One raw case: a random path, metadata and body, chosen by `g`. */
function rawCase(g: Gen): Promise<Outcome> {
  const garbagePath = g.chance(0.03);
  const path = garbagePath
    ? `/${g.printable(g.int(40))}`
    : g.chance(0.03)
      ? `/${g.bytes(8).toString('base64url')}.v1.Nope/${g.bytes(6).toString('base64url')}`
      : g.pick(PATHS);
  const kindOf = (kind: string): string => (garbagePath ? `garbage path, ${kind}` : kind);
  const headers: OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': path,
    'content-type': g.chance(0.03) ? g.pick(['application/json', 'text/plain', 'application/grpc+json']) : 'application/grpc',
    te: 'trailers',
  };
  if (g.chance(0.85)) headers['x-api-key'] = TEST_API_KEY;
  else if (g.chance(0.5)) headers['x-api-key'] = g.printable(g.int(100));
  else headers['authorization'] = `Bearer ${g.printable(g.int(60))}`;
  if (g.chance(0.2)) headers['x-correlation-id'] = g.printable(g.int(200));
  if (g.chance(0.2)) headers['x-idempotency-key'] = g.printable(g.int(300));
  if (g.chance(0.05)) headers['grpc-timeout'] = g.pick([g.printable(g.int(10)), `${g.int(100)}S`, '99999999999H']);
  if (g.chance(0.05)) headers['x-random-bin'] = g.bytes(g.int(64)).toString('base64');
  if (g.chance(0.05)) headers[`x-${g.int(1000)}`] = g.printable(g.int(100));

  const serialize = serializers.get(path);
  const valid = (): Buffer =>
    serialize
      ? serialize({
          tenant_id: g.chance(0.8) ? t.tenantId : g.text(),
          sub: g.text(),
          user_id: g.text(),
          audience: g.text(),
          refresh_token: g.text(),
        })
      : g.bytes(g.int(50));
  const variant = g.int(10);
  switch (variant) {
    case 0:
      return rawCall(kindOf('random protobuf bytes'), headers, frame(g.bytes(g.int(300))));
    case 1: {
      const body = Buffer.from(valid());
      for (let flips = 1 + g.int(4); flips > 0 && body.length > 0; flips--) body[g.int(body.length)] = g.int(256);
      return rawCall(kindOf('mutated protobuf'), headers, frame(body));
    }
    case 2:
      return rawCall(kindOf('valid message'), headers, frame(valid()));
    case 3:
      return rawCall(
        kindOf('truncated frame'),
        headers,
        frame(valid(), { declaredLength: valid().length + 1 + g.int(100) }).subarray(0, 5 + g.int(10)),
      );
    case 4:
      return rawCall(kindOf('short prefix'), headers, g.bytes(g.int(5)));
    case 5:
      return rawCall(
        kindOf('oversized length prefix'),
        headers,
        frame(g.bytes(g.int(20)), { declaredLength: g.pick([64 * 1024 + 1, 1 << 24, 0xffffffff]) }),
      );
    case 6:
      return rawCall(kindOf('two messages'), headers, Buffer.concat([frame(valid()), frame(valid())]));
    case 7: {
      const encoded = { ...headers, 'grpc-encoding': g.pick(['gzip', 'deflate', 'identity', 'snappy', g.printable(5)]) };
      return rawCall(kindOf('compressed flag'), encoded, frame(g.bytes(g.int(100)), { compressed: true }));
    }
    case 8:
      return rawCall(kindOf('empty body'), headers, Buffer.alloc(0));
    default:
      return rawCall(kindOf('trailing garbage'), headers, Buffer.concat([frame(valid()), g.bytes(1 + g.int(20))]));
  }
}

/** Random bytes on a raw TCP connection: a broken preface, or a valid one and then garbage frames. */
function tcpCase(g: Gen): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connectTcp(grpcPort(), '127.0.0.1');
    const done = (): void => resolve({ kind: 'raw tcp', http: 0, message: '' });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      const head = g.chance(0.7) ? preface : preface.subarray(0, g.int(preface.length));
      socket.end(Buffer.concat([head, g.bytes(g.int(200))]));
    });
  });
}

/** One call through the normal client with random field values. */
async function clientCase(g: Gen): Promise<Outcome> {
  const method = g.pick(METHODS);
  const claims: Record<string, string> = {};
  for (let n = g.pick([0, 1, 3, 64, 65, 200]); n > 0; n--)
    claims[g.chance(0.9) ? g.printable(1 + g.int(20)) : g.text()] = g.chance(0.9) ? g.printable(g.int(50)) : g.text();
  const audiences = Array.from({ length: g.pick([0, 1, 2, 16, 17, 50]) }, () =>
    g.chance(0.8) ? g.printable(1 + g.int(30)) : g.text(),
  );
  const request = {
    tenant_id: g.chance(0.85) ? t.tenantId : g.text(),
    sub: g.chance(0.5) ? g.printable(1 + g.int(30)) : g.text(),
    user_id: g.chance(0.5) ? g.printable(1 + g.int(30)) : g.text(),
    audience: g.chance(0.5) ? g.printable(1 + g.int(30)) : g.text(),
    refresh_token: g.chance(0.5) ? g.bytes(32).toString('base64url') : g.text(),
    access_token: g.chance(0.5)
      ? [g.bytes(20), g.bytes(g.int(200)), g.bytes(g.int(80))].map((b) => b.toString('base64url')).join('.')
      : g.text(),
    ...(g.chance(0.7) ? { claims } : {}),
    ...(g.chance(0.7) ? { audiences } : {}),
    ...(g.chance(0.1) ? { idempotency_key: g.chance(0.5) ? g.printable(g.int(300)) : g.text() } : {}),
  };
  const extra: Record<string, string> = {};
  if (g.chance(0.1)) extra['x-idempotency-key'] = g.printable(1 + g.int(300));
  if (g.chance(0.1)) extra['x-correlation-id'] = g.printable(g.int(200));
  const result = await t.client.call(method, request, t.client.metadata(extra));
  return {
    kind: `client ${method}`,
    http: 200,
    grpcStatus: result.error?.code ?? status.OK,
    message: result.error?.details ?? '',
  };
}

/** Whether an outcome is one a caller can act on (see the file comment). */
function acceptable(o: Outcome): boolean {
  if (o.grpcStatus === undefined) {
    if (o.kind === 'raw tcp') return true;
    // Not gRPC at all: the wrong content-type is refused by grpc-js with HTTP 415.
    if (o.http === h2.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE) return true;
    // A :path with characters HTTP/2 does not allow is reset by nghttp2 before grpc-js sees it.
    return o.kind.startsWith('garbage path') && o.http === 0 && o.reset === h2.NGHTTP2_PROTOCOL_ERROR;
  }
  if (ALLOWED.has(o.grpcStatus)) return true;
  // The caller's own deadline (a random grpc-timeout, e.g. 0S).
  if (o.grpcStatus === status.DEADLINE_EXCEEDED) return o.deadlineSent === true;
  return o.grpcStatus === status.INTERNAL && TRANSPORT_INTERNAL.some((re) => re.test(o.message));
}

describe(`fuzzing the gRPC surface (seed ${SEED})`, () => {
  it('never crashes, hangs or answers the product INTERNAL; still serves afterwards', async () => {
    process.stderr.write(`[fuzz] seed ${SEED} (replay with FUZZ_SEED=${SEED})\n`);
    const g = new Gen(prng(SEED));
    // The cases are drawn up front, in order, so the seed alone decides every one of them.
    const cases: (() => Promise<Outcome>)[] = [];
    for (let i = 0; i < RAW_CASES; i++) {
      const draw = new Gen(prng(g.int(2 ** 31)));
      cases.push(() => rawCase(draw));
    }
    for (let i = 0; i < TCP_CASES; i++) {
      const draw = new Gen(prng(g.int(2 ** 31)));
      cases.push(() => tcpCase(draw));
    }
    for (let i = 0; i < CLIENT_CASES; i++) {
      const draw = new Gen(prng(g.int(2 ** 31)));
      cases.push(() => clientCase(draw));
    }
    const started = Date.now();
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) outcomes.push(await (cases[next++] as () => Promise<Outcome>)());
      }),
    );
    const elapsedMs = Date.now() - started;

    const tally = new Map<string, number>();
    for (const o of outcomes) {
      const answer =
        o.grpcStatus === undefined ? (o.http === 0 ? `no answer: ${o.kind}` : `http ${o.http}`) : statusName(o.grpcStatus);
      const transport = TRANSPORT_INTERNAL.find((re) => re.test(o.message));
      const key = o.grpcStatus === status.INTERNAL ? `${answer}: ${transport ? transport.source.slice(1) : o.message}` : answer;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    if (process.env['FUZZ_VERBOSE']) {
      const byKind = new Map<string, number>();
      for (const o of outcomes) {
        const key = `${o.kind} → ${o.grpcStatus === undefined ? `http ${o.http}` : statusName(o.grpcStatus)}`;
        byKind.set(key, (byKind.get(key) ?? 0) + 1);
      }
      process.stderr.write(`[fuzz] by case: ${JSON.stringify(Object.fromEntries([...byKind].sort()), null, 1)}\n`);
    }
    process.stderr.write(
      `[fuzz] ${outcomes.length} cases in ${elapsedMs} ms: ${JSON.stringify(Object.fromEntries([...tally].sort()))}\n`,
    );

    const unexpected = outcomes.filter((o) => !acceptable(o));
    expect(unexpected.slice(0, 10), `seed ${SEED}`).toEqual([]);
    expect(
      outcomes.filter((o) => o.message === INTERNAL_MESSAGE),
      `seed ${SEED}`,
    ).toEqual([]);
    expect(
      t.logs.filter((l) => l['level'] === 50 || l['level'] === 60).map((l) => l['msg']),
      `seed ${SEED}: error logs`,
    ).toEqual([]);
    expect(outcomes.length).toBe(RAW_CASES + TCP_CASES + CLIENT_CASES);

    const after = await t.client.call('IssueToken', { tenant_id: t.tenantId, sub: 'after-fuzz' });
    expect(after.error).toBeUndefined();
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
  }, 30_000);
});

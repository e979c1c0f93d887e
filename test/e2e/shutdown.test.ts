/**
 * Graceful shutdown of the built service (doc/OPERATIONS.md, "Graceful shutdown"): on SIGTERM, readiness answers 503 and
 * gRPC health turns NOT_SERVING first, new calls are refused, calls in flight finish (for
 * up to 10 s, then they are cancelled), and the process exits 0; a second signal exits at
 * once.
 *
 * A call is held in flight without any hook in the service: its request is sent over raw
 * HTTP/2 with the gRPC message only partly written, so the server has the call open and
 * waits for the rest, as it would for a slow client.
 */
import { once } from 'node:events';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { credentials, makeClientConstructor, status, type Client, type ClientReadableStream } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTokenEngineProto } from '../../src/grpc/proto.js';
import { TestClient, type CallResult, type WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { startService, type ServiceProcess } from '../support/service-process.js';

const API_KEY = 'shutdown-key';
const BURST = 20;

function serviceEnv(): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: uniquePrefix('shutdown'),
    TOKEN_ENGINE_AUDIENCE: 'api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=shutdown-caller`,
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
    // RS256 (the default): the costliest signature, so a burst really overlaps the signal.
    TOKEN_ENGINE_SIGNING_ALG: 'RS256',
  };
}

const started: ServiceProcess[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  for (const service of started.splice(0))
    if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
});

async function start(): Promise<ServiceProcess & { tenantId: string }> {
  const env = serviceEnv();
  const service = await startService(env);
  started.push(service);
  return Object.assign(service, { tenantId: env.TOKEN_ENGINE_ISSUER ?? '' });
}

/** Resolves with the exit code; never sends a signal itself. */
async function exitCode(service: ServiceProcess): Promise<number | null> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.child.exitCode;
  const [code] = (await once(service.child, 'exit')) as [number | null];
  return code;
}

/** grpc.health.v1.Health/Watch for the TokenEngine service, on a connection of its own. */
function watchHealth(address: string): { statuses: string[]; next: (wanted: string) => Promise<void>; cancel: () => void } {
  const Health = makeClientConstructor(healthService as never, 'Health');
  const client = new Health(address, credentials.createInsecure()) as unknown as Client & {
    Watch: (request: { service: string }) => ClientReadableStream<{ status: string }>;
  };
  const statuses: string[] = [];
  const waiters: { wanted: string; resolve: () => void }[] = [];
  const stream = client.Watch({ service: 'token.v1.TokenEngine' });
  stream.on('data', (m: { status: string }) => {
    statuses.push(m.status);
    for (const w of waiters.filter((x) => x.wanted === m.status)) w.resolve();
  });
  stream.on('error', () => undefined);
  const cancel = (): void => {
    stream.cancel();
    client.close();
  };
  closers.push(cancel);
  return {
    statuses,
    next: (wanted) =>
      statuses.includes(wanted) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ wanted, resolve })),
    cancel,
  };
}

/** An IssueToken whose message is written only in part: the server holds the call open. */
async function halfSentCall(
  address: string,
  tenantId: string,
): Promise<{
  stream: ClientHttp2Stream;
  finish: () => void;
  outcome: Promise<{ grpcStatus?: number; reset: number; hasBody: boolean }>;
}> {
  const session: ClientHttp2Session = connect(`http://${address}`);
  session.on('error', () => undefined);
  closers.push(() => session.destroy());
  await once(session, 'connect');
  const { packageDefinition } = loadTokenEngineProto();
  const issue = (packageDefinition['token.v1.TokenEngine'] as Record<string, { requestSerialize: (v: object) => Buffer }>)[
    'IssueToken'
  ];
  const body = issue?.requestSerialize({ tenant_id: tenantId, sub: 'held' }) ?? Buffer.alloc(0);
  const message = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
  message.writeUInt32BE(body.length, 1);
  const split = 5 + Math.floor(body.length / 2);

  const stream = session.request({
    ':method': 'POST',
    ':path': '/token.v1.TokenEngine/IssueToken',
    'content-type': 'application/grpc',
    te: 'trailers',
    'x-api-key': API_KEY,
  });
  let grpcStatus: number | undefined;
  let hasBody = false;
  stream.on('response', (h) => {
    if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
  });
  stream.on('trailers', (h) => {
    grpcStatus = Number(h['grpc-status']);
  });
  stream.on('data', () => {
    hasBody = true;
  });
  stream.on('error', () => undefined);
  const outcome = new Promise<{ grpcStatus?: number; reset: number; hasBody: boolean }>((resolve) =>
    stream.on('close', () =>
      resolve({ ...(grpcStatus === undefined ? {} : { grpcStatus }), reset: stream.rstCode ?? 0, hasBody }),
    ),
  );
  stream.write(message.subarray(0, split));
  // Frames of one connection are handled in order: once the PING is acknowledged, the
  // server has the call's headers and the first part of its message.
  await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
  return { stream, finish: () => stream.end(message.subarray(split)), outcome };
}

async function readiness(service: ServiceProcess): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${service.httpBase}/healthz/ready`);
  return { status: res.status, body: res.status === 200 ? undefined : await res.json() };
}

describe('graceful shutdown of the built service', () => {
  it(`SIGTERM with ${BURST} calls in flight: not ready first, new calls refused, every call OK or UNAVAILABLE, exit 0`, async () => {
    const service = await start();
    const client = new TestClient(service.grpcAddress, API_KEY);
    closers.push(() => client.close());
    const tenant = { tenant_id: service.tenantId };
    await client.ok('IssueToken', { ...tenant, sub: 'warm-up' });
    const health = watchHealth(service.grpcAddress);
    await health.next('SERVING');
    const held = await halfSentCall(service.grpcAddress, service.tenantId);

    // The burst, and the signal right behind it: the calls reach the server together with
    // the signal, some before it is handled, some after.
    /** When each OK answer arrived (this machine's clock, as the service's log times). */
    const answeredAt: number[] = [];
    const burst: Promise<CallResult<WireTokenPair>>[] = Array.from({ length: BURST }, (_, i) =>
      client.call<WireTokenPair>('IssueToken', { ...tenant, sub: `burst-${i}`, claims: { n: String(i) } }).then((r) => {
        if (!r.error) answeredAt.push(Date.now());
        return r;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');

    // Health first: NOT_SERVING reaches the watcher; readiness then already answers 503.
    await health.next('NOT_SERVING');
    expect(await readiness(service)).toEqual({
      status: 503,
      body: { status: 'unavailable', failed_check: 'shutdown', reason: 'shutting down' },
    });
    // No new calls: a new connection is refused.
    const late = new TestClient(service.grpcAddress, API_KEY);
    closers.push(() => late.close());
    const refused = await late.call('IssueToken', { ...tenant, sub: 'too-late' });
    expect(refused.error?.code).toBe(status.UNAVAILABLE);

    const results = await Promise.all(burst);
    const codes = results.map((r) => r.error?.code ?? status.OK);
    expect(
      codes.filter((c) => c !== status.OK && c !== status.UNAVAILABLE),
      'codes other than OK/UNAVAILABLE',
    ).toEqual([]);

    // The held call is still being waited for: the process is draining, not gone.
    expect(service.child.exitCode).toBeNull();
    expect((await readiness(service)).status).toBe(503);
    health.cancel();
    held.finish();
    const heldOutcome = await held.outcome;
    expect(heldOutcome).toMatchObject({ grpcStatus: status.OK, hasBody: true });

    expect(await exitCode(service)).toBe(0);
    const stopMs = Date.now() - signalledAt;
    expect(stopMs).toBeLessThan(10_000);
    const logs = service
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; time: string });
    const order = logs
      .map((l) => l.msg)
      .filter((m) => ['shutting down', 'not ready; draining in-flight calls', 'stopped'].includes(m));
    expect(order).toEqual(['shutting down', 'not ready; draining in-flight calls', 'stopped']);
    // How many burst calls were still in flight when the drain began (same clock, ms).
    const drainAt = Date.parse(logs.find((l) => l.msg === 'not ready; draining in-flight calls')?.time ?? '');
    const summary = {
      ok: codes.filter((c) => c === status.OK).length,
      unavailable: codes.filter((c) => c === status.UNAVAILABLE).length,
      okAnsweredAfterDrainBegan: answeredAt.filter((at) => at > drainAt).length,
      stopMs,
    };
    process.stderr.write(`[shutdown] burst ${JSON.stringify(summary)}\n`);
    expect(drainAt).toBeGreaterThanOrEqual(signalledAt - 1);
  });

  it('a call that never finishes is cancelled after the 10 s drain, and the process still exits 0', async () => {
    const service = await start();
    const held = await halfSentCall(service.grpcAddress, service.tenantId);
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    expect(await exitCode(service)).toBe(0);
    const stopMs = Date.now() - signalledAt;
    const outcome = await held.outcome;
    expect(outcome.grpcStatus).toBeUndefined();
    expect(outcome.hasBody).toBe(false);
    expect(stopMs).toBeGreaterThanOrEqual(9_500);
    expect(stopMs).toBeLessThan(15_000);
    expect(service.output()).toContain('graceful gRPC stop timed out; forcing stop');
  }, 30_000);

  it('a second signal during the drain exits at once with 1', async () => {
    const service = await start();
    await halfSentCall(service.grpcAddress, service.tenantId);
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    // Draining: readiness answers 503 while the held call keeps the process up.
    let ready = await readiness(service);
    while (ready.status !== 503 && Date.now() - signalledAt < 5_000) ready = await readiness(service);
    expect(ready.status).toBe(503);
    service.child.kill('SIGINT');
    expect(await exitCode(service)).toBe(1);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(service.output()).toContain('second signal: exiting now');
  });
});

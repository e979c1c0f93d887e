/**
 * gRPC health needs no credentials, so nothing a health call sends may grow the process:
 * the built service answers only the names it serves, keeps nothing about other names,
 * and bounds the Watch streams one connection can hold.
 */
import { credentials, type Client, type ClientReadableStream, makeClientConstructor, Metadata, status } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type ServiceProcess } from '../support/service-process.js';

type HealthClient = Client & {
  Check(req: { service: string }, md: Metadata, cb: (err: { code: number } | null, res?: { status: string }) => void): void;
  Watch(req: { service: string }): ClientReadableStream<{ status: string }>;
};
const Health = makeClientConstructor(healthService as never, 'Health');

let service: ServiceProcess;
const clients: HealthClient[] = [];

function healthClient(): HealthClient {
  // A channel of its own: one HTTP/2 connection per client.
  const client = new Health(service.grpcAddress, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as HealthClient;
  clients.push(client);
  return client;
}

function check(client: HealthClient, name: string): Promise<{ code?: number; status?: string }> {
  return new Promise((resolve) =>
    client.Check({ service: name }, new Metadata(), (err, res) =>
      resolve(err ? { code: err.code } : { status: res?.status ?? '' }),
    ),
  );
}

/** Opens a Watch and resolves with its first message or its error; the stream stays open. */
function firstOfWatch(
  client: HealthClient,
  name: string,
): Promise<{ stream: ClientReadableStream<{ status: string }>; status?: string; code?: number }> {
  const stream = client.Watch({ service: name });
  return new Promise((resolve) => {
    stream.once('data', (m: { status: string }) => resolve({ stream, status: m.status }));
    stream.once('error', (err: { code: number }) => resolve({ stream, code: err.code }));
  });
}

async function heapUsedBytes(): Promise<number> {
  const text = await (await fetch(`${service.httpBase}/metrics`)).text();
  const match = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!match?.[1]) throw new Error('nodejs_heap_size_used_bytes not in /metrics');
  return Number(match[1]);
}

beforeAll(async () => {
  service = await startService({
    TOKEN_ENGINE_ISSUER: 'health-e2e',
    TOKEN_ENGINE_AUDIENCE: 'api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
    TOKEN_ENGINE_STORE: 'memory',
  });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await service?.stop();
});

describe('gRPC health of the built service', () => {
  it('answers the server and the TokenEngine service; NOT_FOUND for any other name', async () => {
    const client = healthClient();
    expect(await check(client, '')).toEqual({ status: 'SERVING' });
    expect(await check(client, 'token.v1.TokenEngine')).toEqual({ status: 'SERVING' });
    expect(await check(client, 'some.other.Service')).toEqual({ code: status.NOT_FOUND });
    expect(await check(client, 'x'.repeat(300))).toEqual({ code: status.INVALID_ARGUMENT });
  });

  it('Watch sends SERVICE_UNKNOWN for a name it does not serve', async () => {
    const watch = await firstOfWatch(healthClient(), 'not.Served');
    expect(watch.status).toBe('SERVICE_UNKNOWN');
    watch.stream.cancel();
  });

  it(`keeps nothing of 3,000 Watch calls with unique 60 KB names (heap back near its start)`, async () => {
    const before = await heapUsedBytes();
    const client = healthClient();
    const pad = 'n'.repeat(60_000);
    let next = 0;
    const outcomes = new Map<string, number>();
    const lane = async (): Promise<void> => {
      while (next < 3_000) {
        const i = next++;
        const watch = await firstOfWatch(client, `${i}-${pad}`);
        const key = watch.status ?? `code ${watch.code}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        watch.stream.cancel();
      }
    };
    await Promise.all(Array.from({ length: 4 }, lane));

    // 3,000 names of 60 KB kept would be 180 MB; garbage is collected as the service keeps
    // working, so poll while giving it some ordinary work to do.
    const deadline = Date.now() + 30_000;
    let after = await heapUsedBytes();
    while (after - before > 40 * 1024 * 1024 && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 50 }, () => check(client, '')));
      after = await heapUsedBytes();
    }
    process.stderr.write(
      `[health] heap used before ${(before / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB\n`,
    );
    expect(after - before).toBeLessThan(40 * 1024 * 1024);
    // Names over the length cap are refused before anything looks them up.
    expect(Object.fromEntries(outcomes)).toEqual({ [`code ${status.INVALID_ARGUMENT}`]: 3_000 });
  }, 120_000);

  it('holds at most 4 Watch streams per connection: the fifth is RESOURCE_EXHAUSTED', async () => {
    const client = healthClient();
    const open = [];
    for (let i = 0; i < 4; i++) open.push(await firstOfWatch(client, ''));
    expect(open.map((w) => w.status)).toEqual(['SERVING', 'SERVING', 'SERVING', 'SERVING']);
    const fifth = await firstOfWatch(client, 'token.v1.TokenEngine');
    expect(fifth.code).toBe(status.RESOURCE_EXHAUSTED);
    // Another connection is not affected, and closing one stream frees its place.
    const elsewhere = await firstOfWatch(healthClient(), '');
    expect(elsewhere.status).toBe('SERVING');
    elsewhere.stream.cancel();
    open[0]?.stream.cancel();
    let again = await firstOfWatch(client, '');
    for (let tries = 0; again.code === status.RESOURCE_EXHAUSTED && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await firstOfWatch(client, '');
    }
    expect(again.status).toBe('SERVING');
    for (const w of [...open, again]) w.stream.cancel();
  });
});

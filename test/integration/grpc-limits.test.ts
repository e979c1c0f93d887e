/**
 * The gRPC server's connection limits, where a client can see them: the stream limit in the
 * server's HTTP/2 SETTINGS, and TOKEN_ENGINE_MAX_CONNECTION_AGE as a GOAWAY that a normal
 * client rides through by reconnecting.
 */
import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as connectTcp, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONCURRENT_STREAMS } from '../../src/grpc/server.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';

const AGE_MS = 1_000;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ TOKEN_ENGINE_MAX_CONNECTION_AGE: '1s', TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE: '1s' });
});
afterAll(async () => {
  await t.stop();
});

/** A loopback TCP relay to the gRPC port that counts the connections made through it. */
async function countingRelay(): Promise<{ address: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const [host, port] = t.grpcAddress.split(':');
  const server: Server = createServer((client) => {
    connections += 1;
    const upstream = connectTcp(Number(port), host);
    client.pipe(upstream).pipe(client);
    for (const end of [client, upstream]) end.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay not listening');
  return {
    address: `127.0.0.1:${address.port}`,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function session(): ClientHttp2Session {
  const s = connect(`http://${t.grpcAddress}`);
  s.on('error', () => undefined);
  return s;
}

describe('gRPC server limits', () => {
  it(`announces at most ${MAX_CONCURRENT_STREAMS} concurrent streams per connection`, async () => {
    const s = session();
    try {
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve) => s.once('remoteSettings', resolve));
      expect(settings.maxConcurrentStreams).toBe(MAX_CONCURRENT_STREAMS);
    } finally {
      s.close();
    }
  });

  it('sends GOAWAY (max_age) after TOKEN_ENGINE_MAX_CONNECTION_AGE; calls keep working through reconnections', async () => {
    const s = session();
    const openedAt = Date.now();
    const goaway = new Promise<{ code: number; data: string; afterMs: number }>((resolve) =>
      s.once('goaway', (code: number, _last: number, data?: Buffer) =>
        resolve({ code, data: data?.toString() ?? '', afterMs: Date.now() - openedAt }),
      ),
    );
    // A normal client, calling without a pause for three connection lifetimes, through a
    // relay that counts its connections.
    const relay = await countingRelay();
    const client = new TestClient(relay.address, TEST_API_KEY);
    const until = Date.now() + 3 * AGE_MS;
    const failures: string[] = [];
    let ok = 0;
    try {
      while (Date.now() < until) {
        const r = await client.call<WireTokenPair>('IssueToken', { tenant_id: t.tenantId, sub: 'aging' });
        if (r.error) failures.push(`${r.error.code} ${r.error.details}`);
        else ok += 1;
      }
    } finally {
      client.close();
      await relay.close();
    }
    const seen = await goaway;
    s.close();

    expect(seen.code).toBe(0);
    expect(seen.data).toBe('max_age');
    // ±10 % jitter (grpc-js).
    expect(seen.afterMs).toBeGreaterThanOrEqual(0.9 * AGE_MS - 50);
    expect(seen.afterMs).toBeLessThan(1.1 * AGE_MS + 500);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);
    // The first connection and at least one after each of the ≥ 2 GOAWAYs.
    expect(relay.connections()).toBeGreaterThanOrEqual(3);
  });
});

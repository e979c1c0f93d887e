import { randomUUID } from 'node:crypto';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

// A client that gives up on an idempotent call after the server has claimed its key but
// before the handler ran must be able to retry at once with the same key: once the server
// is done with the first call, the key is free again (the claim released), never left
// pending until TOKEN_ENGINE_LOCK_TTL, which would answer the retry ABORTED.
//
// To land the cancel in that window every time, the service gets a Redis server of its
// own whose writes are paused (CLIENT PAUSE WRITE) while the claim is on its way: the test
// sees the claim waiting in Redis, cancels the call, makes sure the server has seen the
// cancel, then lets Redis go on.

const TRIES = 30;
/** How long the server may take to reach its claim, or to finish a cancelled call (it takes milliseconds). */
const SERVER_MS = 10_000;

let server: RedisServer;
let admin: Redis;
let t: TestApp;
beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  t = await startTestApp({ TOKEN_ENGINE_REDIS_URL: server.url });
});
afterAll(async () => {
  await admin?.call('CLIENT', 'UNPAUSE').catch(() => undefined);
  await t?.stop();
  admin?.disconnect();
  await server?.stop();
});

interface Outcome {
  readonly code: number;
  readonly replay: boolean;
}

/** Starts IssueToken with an idempotency key and a correlation id; `cancel` gives up on it. */
function issue(key: string, correlationId: string): { done: Promise<Outcome>; cancel(): void } {
  const metadata = new Metadata();
  metadata.set('x-api-key', TEST_API_KEY);
  metadata.set('x-idempotency-key', key);
  metadata.set('x-correlation-id', correlationId);
  let replay = false;
  let call: { cancel(): void; on(event: 'metadata', listener: (headers: Metadata) => void): void } | undefined;
  const done = new Promise<Outcome>((resolve) => {
    call = t.client.raw.IssueToken(
      { sub: 'cancelled-user', tenant_id: t.tenantId },
      metadata,
      { deadline: Date.now() + SERVER_MS },
      (error: ServiceError | null) => resolve({ code: error ? error.code : status.OK, replay }),
    );
    call.on('metadata', (headers) => {
      replay = headers.get('x-idempotent-replay')[0] === 'true';
    });
  });
  return { done, cancel: () => call?.cancel() };
}

/** Polls until `check` answers; fails naming `what` after SERVER_MS. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const giveUpAt = Date.now() + SERVER_MS;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** True while a command of the service (its claim) waits in Redis behind the write pause. */
async function claimWaiting(): Promise<true | undefined> {
  const clients = String(await admin.call('CLIENT', 'LIST')).split('\n');
  return clients.some((c) => / flags=\w*b\w* /.test(c)) ? true : undefined;
}

describe('idempotency: a call cancelled between its claim and its handler', () => {
  it('leaves its key free for an immediate retry once the server has finished with it (30 tries)', async () => {
    const outcomes: { first: Outcome; firstOnServer: unknown; retry: Outcome }[] = [];
    for (let i = 0; i < TRIES; i += 1) {
      const key = `cancel-${randomUUID()}`;
      const firstId = `first-${randomUUID()}`;
      await admin.call('CLIENT', 'PAUSE', SERVER_MS, 'WRITE');
      const first = issue(key, firstId);
      try {
        await until('the claim to reach Redis', claimWaiting);
        first.cancel();
        // A call that needs no store, on the same connection: the server reads its frames
        // after the cancel's, so once it answers, the server has seen the cancel.
        const probe = await t.client.call('IssueToken', { sub: '', tenant_id: t.tenantId });
        expect(probe.error?.code).toBe(status.INVALID_ARGUMENT);
      } finally {
        await admin.call('CLIENT', 'UNPAUSE');
      }
      // The moment the server has finished with the first call: its access log line.
      const line = await until('the first call to finish on the server', async () =>
        t.logs.find((l) => l['msg'] === 'rpc completed' && l['correlation_id'] === firstId),
      );
      const retry = issue(key, `retry-${randomUUID()}`);
      outcomes.push({ first: await first.done, firstOnServer: line['status'], retry: await retry.done });
    }
    const report = JSON.stringify(outcomes);
    for (const { first, firstOnServer, retry } of outcomes) {
      expect(first.code, report).toBe(status.CANCELLED);
      expect(firstOnServer, report).toBe('Canceled');
      // Never ABORTED ("already in progress"): the retry runs.
      expect(retry.code, report).toBe(status.OK);
    }
    // The window under test was hit: the handler of the first call never ran, so the
    // retry issued a fresh pair instead of replaying one.
    for (const { retry } of outcomes) expect(retry.replay, report).toBe(false);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { type CallResult, TestClient } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// Per-caller rate limits through the real service: two replicas (two app instances on one
// Redis) share each caller's budget; a caller over its limit is refused with a retry hint
// while another caller goes on; with Redis unreachable the limiter refuses nothing.

/** Four calls at once, then one per 20 s: nothing refills while the tests run, however slowly. */
const BURST = 4;
const INTERVAL_MS = 20_000;
const LIMITED = uniquePrefix('limited-caller');
const OTHER = uniquePrefix('other-caller');
/** One call per second: the retry hint is short enough to wait for. */
const QUICK = uniquePrefix('quick-caller');
const KEYS = { [LIMITED]: 'limited-key', [OTHER]: 'other-key', [QUICK]: 'quick-key' };
const ISSUE = '/token.v1.TokenEngine/IssueToken';

let dir: string;
let proxy: TcpProxy;
let replicas: TestApp[] = [];
const clients: TestClient[] = [];
const tenantId = uniquePrefix('rate-limit');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rate-limit-'));
  const registry = join(dir, 'callers.yaml');
  await writeFile(
    registry,
    [
      'version: 1',
      'callers:',
      `  - identity: ${LIMITED}`,
      `    permitted_tenants: [${tenantId}]`,
      `    rate_limit: { per_second: ${1000 / INTERVAL_MS}, burst: ${BURST} }`,
      `  - identity: ${OTHER}`,
      `    permitted_tenants: [${tenantId}]`,
      `    rate_limit: { per_second: ${1000 / INTERVAL_MS}, burst: ${BURST} }`,
      `  - identity: ${QUICK}`,
      `    permitted_tenants: [${tenantId}]`,
      '    rate_limit: { per_second: 1, burst: 1 }',
      '',
    ].join('\n'),
  );
  const target = new URL(redisUrlForTests());
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  const env = {
    TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    TOKEN_ENGINE_CALLER_REGISTRY_PATH: registry,
    TOKEN_ENGINE_STATIC_CALLER_KEYS: Object.entries(KEYS)
      .map(([identity, key]) => `${key}=${identity}`)
      .join(','),
  };
  replicas = await Promise.all([startTestApp(env, tenantId), startTestApp(env, tenantId)]);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(replicas.map((r) => r.stop()));
  await proxy.cut();
  await rm(dir, { recursive: true, force: true });
});

/** A client of `replica` calling as `identity`. */
function as(identity: string, replica: TestApp): TestClient {
  const client = new TestClient(replica.grpcAddress, KEYS[identity]);
  clients.push(client);
  return client;
}

const issue = (client: TestClient, sub = 'alice'): Promise<CallResult> => client.call('IssueToken', { sub, tenant_id: tenantId });

/** The one value of `name` in `metadata`, as a number. */
function millis(metadata: Metadata | undefined, name: string): number {
  const values = metadata?.get(name) ?? [];
  expect(values).toHaveLength(1);
  return Number(values[0]);
}

/** The value of a sample of `/metrics`, 0 when absent. */
async function sample(replica: TestApp, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${replica.httpBase}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('per-caller rate limits', () => {
  it('two replicas share one budget: the caller is refused on both with a retry hint, another caller goes on', async () => {
    const [a, b] = replicas as [TestApp, TestApp];
    const limitedOnA = as(LIMITED, a);
    const limitedOnB = as(LIMITED, b);
    // The burst spent half on each replica.
    for (const client of [limitedOnA, limitedOnB, limitedOnA, limitedOnB]) expect((await issue(client)).error).toBeUndefined();

    for (const client of [limitedOnA, limitedOnB]) {
      const refused = await issue(client);
      expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(refused.error?.details).toMatch(/^rate limit exceeded; retry after \d+ ms$/);
      const hint = millis(refused.headers, 'retry-after-ms');
      expect(hint).toBeGreaterThan(0);
      expect(hint).toBeLessThanOrEqual(INTERVAL_MS);
      // The same hint as a trailer, where a client reads the error's metadata.
      expect(millis(refused.error?.metadata, 'retry-after-ms')).toBe(hint);
      expect(refused.error?.details).toBe(`rate limit exceeded; retry after ${hint} ms`);
    }

    // Another caller has a budget of its own: its whole burst passes, on both replicas.
    for (const client of [as(OTHER, a), as(OTHER, b), as(OTHER, a), as(OTHER, b)]) {
      expect((await issue(client)).error).toBeUndefined();
    }
    // Health checks are not limited (nor authenticated).
    for (const replica of [a, b]) expect((await fetch(`${replica.httpBase}/healthz/ready`)).status).toBe(200);

    for (const replica of [a, b]) {
      expect(await sample(replica, 'token_engine_rate_limited_total', { caller_identity: LIMITED, rpc_method: ISSUE })).toBe(1);
      expect(await sample(replica, 'token_engine_rate_limited_total', { caller_identity: OTHER })).toBe(0);
    }
  });

  it('lets the next call pass once the hinted time has passed', async () => {
    const quick = as(QUICK, replicas[0] as TestApp);
    // Sent together, so the budget cannot refill between them however slow the machine is.
    const both = await Promise.all([issue(quick), issue(quick)]);
    expect(both.map((r) => r.error?.code ?? status.OK).sort()).toEqual([status.OK, status.RESOURCE_EXHAUSTED]);
    const refused = both.find((r) => r.error !== undefined);
    const hint = millis(refused?.headers, 'retry-after-ms');
    expect(hint).toBeGreaterThan(0);
    expect(hint).toBeLessThanOrEqual(1_000);
    await new Promise((resolve) => setTimeout(resolve, hint));
    expect((await issue(as(QUICK, replicas[1] as TestApp))).error).toBeUndefined();
  });

  it('with Redis unreachable refuses nothing: calls answer as they would without a limit', async () => {
    const a = replicas[0] as TestApp;
    const limited = as(LIMITED, a);
    expect((await issue(limited)).error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const unchecked = (): Promise<number> => sample(a, 'token_engine_rate_limit_unchecked_total', { rpc_method: ISSUE });
    const uncheckedBefore = await unchecked();

    await proxy.cut();
    try {
      // A call that needs the store fails for the store, not for the limit.
      const needsStore = await issue(limited);
      expect(needsStore.error?.code).toBe(status.UNAVAILABLE);
      expect(needsStore.error?.details).toBe('token store unavailable; retry');
      // A call that needs no store answers as it would.
      const invalid = await issue(limited, '');
      expect(invalid.error?.code).toBe(status.INVALID_ARGUMENT);
      expect(invalid.error?.details).toMatch(/^sub /);
      expect(await unchecked()).toBe(uncheckedBefore + 2);
      expect(a.logs.some((l) => l['msg'] === 'rate-limit store unavailable; letting calls through unchecked')).toBe(true);
    } finally {
      await proxy.restore();
    }

    // Once Redis is back, the budget spent before the outage still holds.
    let after: CallResult | undefined;
    for (let i = 0; i < 50; i += 1) {
      after = await issue(limited);
      if (after.error?.code !== status.UNAVAILABLE) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after?.error?.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});

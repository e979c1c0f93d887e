import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

let proxy: TcpProxy;
let t: TestApp;
beforeAll(async () => {
  const target = new URL(redisUrlForTests());
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  t = await startTestApp({ TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
});
afterAll(async () => {
  await t.stop();
  await proxy.cut();
});

const calls = () => [
  t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }),
  t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }, t.client.metadata({ 'x-idempotency-key': 'outage-key' })),
  t.client.call('RefreshToken', { refresh_token: 'A'.repeat(43), tenant_id: t.tenantId }),
  t.client.call('RevokeToken', { refresh_token: 'A'.repeat(43), tenant_id: t.tenantId }),
  t.client.call('RevokeAllForAudience', { audience: 'api', tenant_id: t.tenantId }),
  t.client.call('RevokeAllUserTokens', { user_id: 'u', tenant_id: t.tenantId }),
  t.client.call('RevokeAllForUserAndAudience', { user_id: 'u', audience: 'api', tenant_id: t.tenantId }),
];

describe('Redis outage', () => {
  it('answers UNAVAILABLE (never INTERNAL, never a hang) while Redis is away, and recovers without a restart', async () => {
    const before = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'survivor', tenant_id: t.tenantId });

    await proxy.cut();
    const during = await Promise.all(calls());
    for (const result of during) {
      expect(result.error?.code).toBe(status.UNAVAILABLE);
      expect(result.error?.details).toBe('token store unavailable; retry');
    }
    const ready = await fetch(`${t.httpBase}/healthz/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', failed_check: 'redis' });

    await proxy.restore();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      const r = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId });
      recovered = r.error === undefined;
      if (!recovered) await new Promise((res) => setTimeout(res, 200));
    }
    expect(recovered).toBe(true);
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
    const refreshed = await t.client.call('RefreshToken', { refresh_token: before.refresh_token, tenant_id: t.tenantId });
    expect(refreshed.error).toBeUndefined();
  });
});

import { status } from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { tokenRef } from '../../src/tokens/refresh-token.js';
import { startTestApp, TEST_CALLER, type TestApp } from '../support/app.js';
import type { RpcName, WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests } from '../support/redis.js';
import { testRedis } from '../support/stores.js';
import { TcpProxy } from '../support/tcp-proxy.js';

let proxy: TcpProxy;
let t: TestApp;
let redis: Redis;
let auditKey: string;

beforeAll(async () => {
  const target = new URL(redisUrlForTests());
  proxy = new TcpProxy(target.hostname, Number(target.port));
  await proxy.start();
  t = await startTestApp({ TOKEN_ENGINE_REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  redis = testRedis();
  auditKey = new TenantKeys(t.tenantId).audit();
});
afterAll(async () => {
  redis.disconnect();
  await t.stop();
  await proxy.cut();
});

/** The audit stream's records as field maps, oldest first. */
async function auditRecords(): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(auditKey, '-', '+');
  return entries.map(([, fields]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] ?? ''] = fields[i + 1] ?? '';
    return record;
  });
}

const issue = (sub: string, audiences: string[] = []) =>
  t.client.ok<WireTokenPair>('IssueToken', { tenant_id: t.tenantId, sub, audiences });

describe('revocation audit', () => {
  it('each revocation RPC leaves exactly one stream record and one `token revoked` line, with its scope and target', async () => {
    const pair = await issue('audit-user-1');
    const cases: { rpc: RpcName; request: object; scope: string; target: string; ref: string }[] = [
      {
        rpc: 'RevokeToken',
        request: { refresh_token: pair.refresh_token },
        scope: 'token',
        target: '',
        ref: tokenRef(pair.refresh_token),
      },
      { rpc: 'RevokeAllUserTokens', request: { user_id: 'audit-user-2' }, scope: 'user', target: 'audit-user-2', ref: '' },
      { rpc: 'RevokeAllForAudience', request: { audience: 'audit-aud' }, scope: 'audience', target: 'audit-aud', ref: '' },
      {
        rpc: 'RevokeAllForUserAndAudience',
        request: { user_id: 'audit-user-3', audience: 'audit-aud' },
        scope: 'user_audience',
        target: 'audit-user-3',
        ref: '',
      },
    ];
    for (const [i, c] of cases.entries()) {
      const before = await auditRecords();
      const correlationId = `audit-case-${i}`;
      await t.client.ok(c.rpc, { tenant_id: t.tenantId, ...c.request }, t.client.metadata({ 'x-correlation-id': correlationId }));

      const added = (await auditRecords()).slice(before.length);
      expect(added, c.rpc).toHaveLength(1);
      expect(added[0], c.rpc).toMatchObject({
        tenant_id: t.tenantId,
        caller_identity: TEST_CALLER,
        token_ref: c.ref,
        target: c.target,
        scope: c.scope,
      });
      const lines = t.logs.filter((l) => l['msg'] === 'token revoked' && l['correlation_id'] === correlationId);
      expect(lines, c.rpc).toHaveLength(1);
      expect(lines[0], c.rpc).toMatchObject({
        level: 'info',
        tenant_id: t.tenantId,
        caller_identity: TEST_CALLER,
        token_ref: c.ref,
        target: c.target,
        scope: c.scope,
      });
      // Log line and stream record describe the same moment.
      expect(Date.parse(String(lines[0]?.['occurred_at'])) / 1000).toBe(
        Math.floor(Date.parse(added[0]?.['occurred_at'] ?? '') / 1000),
      );
    }
  });

  it('readiness includes an `audit` check that reads every tenant’s audit stream', async () => {
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
    const store = t.app.stores.tokens;
    const original = store.recentAudit;
    const asked: string[] = [];
    store.recentAudit = async (tenantId, count) => {
      asked.push(tenantId);
      expect(count).toBe(1);
      throw new Error('stream unreadable');
    };
    try {
      const res = await fetch(`${t.httpBase}/healthz/ready`);
      expect(res.status).toBe(503);
      // The endpoint needs no credentials: it counts the tenants, the log names them.
      expect(await res.json()).toEqual({
        status: 'unavailable',
        failed_check: 'audit',
        reason: 'audit stream unreadable for 1 tenant',
      });
      expect(asked).toEqual([t.tenantId]);
      expect(t.logs.filter((l) => l['msg'] === 'not ready').at(-1)).toMatchObject({
        failed_check: 'audit',
        tenant_ids: [t.tenantId],
      });
    } finally {
      store.recentAudit = original;
    }
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
  });

  it('with Redis (and so the audit stream) unreachable, RevokeToken answers UNAVAILABLE and changes nothing', async () => {
    const pair = await issue('audit-outage-user');
    const before = await auditRecords();
    const logLines = t.logs.length;

    await proxy.cut();
    try {
      const revoke = await t.client.call('RevokeToken', { tenant_id: t.tenantId, refresh_token: pair.refresh_token });
      expect(revoke.error?.code).toBe(status.UNAVAILABLE);
      expect(revoke.error?.details).toBe('token store unavailable; retry');
      const bulk = await t.client.call('RevokeAllUserTokens', { tenant_id: t.tenantId, user_id: 'audit-outage-user' });
      expect(bulk.error?.code).toBe(status.UNAVAILABLE);
      const ready = await fetch(`${t.httpBase}/healthz/ready`);
      expect(ready.status).toBe(503);
    } finally {
      await proxy.restore();
    }

    expect(t.logs.slice(logLines).filter((l) => l['msg'] === 'token revoked')).toEqual([]);
    expect(await auditRecords()).toEqual(before);
    // Once Redis is back, the token was never revoked: it still refreshes.
    let refreshed = await t.client.call<WireTokenPair>('RefreshToken', {
      tenant_id: t.tenantId,
      refresh_token: pair.refresh_token,
    });
    for (let i = 0; i < 50 && refreshed.error?.code === status.UNAVAILABLE; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      refreshed = await t.client.call<WireTokenPair>('RefreshToken', {
        tenant_id: t.tenantId,
        refresh_token: pair.refresh_token,
      });
    }
    expect(refreshed.error).toBeUndefined();
    expect(refreshed.response?.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
  });
});

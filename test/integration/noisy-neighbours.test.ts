import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantKeys } from '../../src/store/redis/keys.js';
import { mintRefreshToken } from '../../src/tokens/refresh-token.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { testRedis } from '../support/stores.js';

// What one caller can do to a tenant's users and audit trail, through the real service.

let t: TestApp;
const redis = testRedis();
beforeAll(async () => {
  t = await startTestApp({ TOKEN_ENGINE_MAX_FAMILIES_PER_USER: '3' });
});
afterAll(async () => {
  await t.stop();
  await redis.quit();
});

const tenant = () => ({ tenant_id: t.tenantId });
const issue = (sub: string) => t.client.ok<WireTokenPair>('IssueToken', { ...tenant(), sub });
const refresh = (token: string) => t.client.call<WireTokenPair>('RefreshToken', { ...tenant(), refresh_token: token });

describe('the per-user cap on live refresh-token families (TOKEN_ENGINE_MAX_FAMILIES_PER_USER)', () => {
  it('a fourth IssueToken for a user revokes the family that would expire first; other users are untouched', async () => {
    const other = await issue('cap-other');
    const first = await issue('cap-user');
    const second = await issue('cap-user');
    const third = await issue('cap-user');
    // A refresh keeps the first family young: the second is now the one that expires first.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const refreshed = await refresh(first.refresh_token);
    expect(refreshed.error).toBeUndefined();
    const fourth = await issue('cap-user');

    expect((await refresh(second.refresh_token)).error?.code).toBe(status.PERMISSION_DENIED);
    for (const live of [
      refreshed.response?.refresh_token ?? '',
      third.refresh_token,
      fourth.refresh_token,
      other.refresh_token,
    ]) {
      expect((await refresh(live)).error).toBeUndefined();
    }
  });

  it('the user-wide cap holds for a burst of concurrent IssueToken calls', async () => {
    const pairs = await Promise.all(Array.from({ length: 12 }, () => issue('cap-burst')));
    const outcomes = await Promise.all(pairs.map((p) => refresh(p.refresh_token)));
    expect(outcomes.filter((o) => o.error === undefined)).toHaveLength(3);
    expect(outcomes.filter((o) => o.error?.code === status.PERMISSION_DENIED)).toHaveLength(9);
  });
});

describe('no-op revocations and the audit stream', () => {
  it('10 000 RevokeToken calls that change nothing leave the last real audit record the newest, and add none', async () => {
    const auditKey = new TenantKeys(t.tenantId).audit();
    const pair = await issue('audit-keeper');
    await t.client.ok('RevokeToken', { ...tenant(), refresh_token: pair.refresh_token });
    const [newest] = await redis.xrevrange(auditKey, '+', '-', 'COUNT', 1);
    const length = await redis.xlen(auditKey);
    expect(newest).toBeDefined();

    // Unknown (well-formed, random) tokens, and the same token again, already revoked.
    const NO_OPS = 10_000;
    const LANES = 16;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < NO_OPS) {
        const i = next++;
        const token = i % 2 === 0 ? pair.refresh_token : mintRefreshToken().value;
        await t.client.ok('RevokeToken', { ...tenant(), refresh_token: token });
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));

    expect(await redis.xlen(auditKey)).toBe(length);
    expect(await redis.xrevrange(auditKey, '+', '-', 'COUNT', 1)).toEqual([newest]);
    // A real revocation still gets its record.
    const another = await issue('audit-keeper');
    await t.client.ok('RevokeToken', { ...tenant(), refresh_token: another.refresh_token });
    expect(await redis.xlen(auditKey)).toBe(length + 1);
  }, 240_000);
});

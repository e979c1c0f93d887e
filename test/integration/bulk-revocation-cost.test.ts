import { afterAll, describe, expect, it } from 'vitest';
import { encodeId } from '../../src/store/redis/keys.js';
import { RedisTokenStore } from '../../src/store/redis/token-store.js';
import type { RevocationAudit, TenantStorePolicy } from '../../src/store/ports.js';
import { mintRefreshToken, newFamilyId } from '../../src/tokens/refresh-token.js';
import { uniquePrefix } from '../support/redis.js';
import { testRedis } from '../support/stores.js';

const redis = testRedis();
const monitorConnection = testRedis();
afterAll(async () => {
  await Promise.all([redis.quit(), monitorConnection.quit()]);
});

const DAY = 86_400_000;
const audit = (target: string): RevocationAudit => ({
  callerIdentity: 'c',
  tokenRef: '',
  target,
  scope: 'user',
  occurredAt: Date.now(),
});

/**
 * Counts the Redis commands (including those run inside scripts) and the distinct keys
 * that one operation makes Redis execute, using MONITOR filtered to this tenant's keys.
 */
async function measure(tenantId: string, op: () => Promise<void>): Promise<{ commands: number; keys: Set<string> }> {
  const tag = `{${encodeId(tenantId)}}`;
  const monitor = await monitorConnection.monitor();
  const seen: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.some((a) => a.includes(tag))) seen.push(args);
  });
  await new Promise((r) => setTimeout(r, 50));
  await op();
  await new Promise((r) => setTimeout(r, 200));
  monitor.disconnect();
  const scripted = seen.filter((args) => !/^(evalsha|eval)$/i.test(args[0] ?? ''));
  const keys = new Set(scripted.flatMap((args) => args.slice(1).filter((a) => a.includes(tag))));
  return { commands: scripted.length, keys };
}

describe('bulk revocation cost', () => {
  it('revoking a user with 10,000 tokens is the same bounded operation as with 1 token', async () => {
    const store = new RedisTokenStore(redis);
    const policy: TenantStorePolicy = { tenantId: uniquePrefix('bulk-cost'), revocationRetentionMs: 30 * DAY };
    const now = Date.now();
    const digests: string[] = [];
    const issueFor = (subject: string) => {
      const t = mintRefreshToken();
      return store
        .issue(policy, {
          digest: t.digest,
          familyId: newFamilyId(),
          subject,
          audiences: ['api'],
          claims: {},
          issuedAt: now,
          expiresAt: now + DAY,
        })
        .then(() => t.digest);
    };
    for (let batch = 0; batch < 10; batch++) {
      digests.push(...(await Promise.all(Array.from({ length: 1_000 }, () => issueFor('heavy-user')))));
    }
    const lightDigest = await issueFor('light-user');

    const heavy = await measure(policy.tenantId, () => store.revokeUser(policy, 'heavy-user', audit('heavy-user')));
    const light = await measure(policy.tenantId, () => store.revokeUser(policy, 'light-user', audit('light-user')));

    expect(heavy.commands).toBeGreaterThan(0);
    expect(heavy.commands).toBe(light.commands);
    // The sequence and the refresh high-water mark (read together), the watermark, the audit
    // record, and the revocation event (its append and the stream's expiry): a fixed handful
    // whatever the number of tokens.
    expect(heavy.commands).toBeLessThanOrEqual(5);
    expect(heavy.keys.size).toBe(light.keys.size);
    expect(heavy.keys.size).toBeLessThanOrEqual(5);

    const sample = [digests[0], digests[4_999], digests[9_999], ...digests.filter((_, i) => i % 500 === 7)];
    for (const digest of sample) expect((await store.present(policy, digest ?? '', Date.now())).kind).toBe('revoked');
    expect((await store.present(policy, lightDigest, Date.now())).kind).toBe('revoked');
  });
});

/**
 * Exactness across replicas (doc/adr/0006-revocation-reach.md): two replicas of the
 * service share one Redis and one tenant. For each revocation RPC and for reuse
 * detection, in 50 rounds: an access token whose issuing call returned before the
 * revocation started is inactive on the other replica as soon as the revocation returns,
 * and one issued right after the revocation returned is active there at once ("revoke
 * all, then log in again"). Issues, revocations and validations alternate between the
 * replicas so no round depends on which one did what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';

const ROUNDS = 50;

let replicas: [TestApp, TestApp];
let tenantId: string;

beforeAll(async () => {
  tenantId = uniquePrefix('reach');
  const first = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId);
  const second = await startTestApp({ TOKEN_ENGINE_LOG_LEVEL: 'warn' }, tenantId);
  replicas = [first, second];
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
});

/** Replica `i` (mod 2) and the other one. */
const on = (i: number): { here: TestApp; there: TestApp } => ({
  here: replicas[i % 2] as TestApp,
  there: replicas[(i + 1) % 2] as TestApp,
});

const issue = (replica: TestApp, sub: string, audiences: string[] = []) =>
  replica.client.ok<WireTokenPair>('IssueToken', { tenant_id: tenantId, sub, audiences });

const validation = async (replica: TestApp, token: string): Promise<string> => {
  const r = await replica.client.ok<{ active: boolean; reason: string }>('ValidateToken', {
    tenant_id: tenantId,
    access_token: token,
  });
  return r.active ? 'active' : r.reason;
};

/**
 * One round: a token issued before (and, for families, refreshed before), the revocation
 * on one replica, then the old token checked on the other replica, then a new login and
 * its token checked there too.
 */
async function rounds(
  name: string,
  round: (i: number) => Promise<{ before: string[]; after: string; there: TestApp }>,
): Promise<void> {
  const outcomes: string[] = [];
  const expected: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { before, after, there } = await round(i);
    for (const [n, token] of before.entries()) {
      outcomes.push(`round ${i} token ${n} issued before: ${await validation(there, token)}`);
      expected.push(`round ${i} token ${n} issued before: revoked`);
    }
    outcomes.push(`round ${i} issued after: ${await validation(there, after)}`);
    expected.push(`round ${i} issued after: active`);
  }
  expect(outcomes, name).toEqual(expected);
}

describe(`exactness on a second replica, ${ROUNDS} rounds each`, () => {
  it('RevokeAllUserTokens: revoke all, then log in again', async () => {
    const sub = uniquePrefix('user');
    await rounds('RevokeAllUserTokens', async (i) => {
      const { here, there } = on(i);
      const old = await issue(there, sub);
      await here.client.ok('RevokeAllUserTokens', { tenant_id: tenantId, user_id: sub });
      const fresh = await issue(i % 3 === 0 ? here : there, sub);
      return { before: [old.access_token], after: fresh.access_token, there };
    });
  });

  it('RevokeAllForAudience, through any one of a token’s audiences', async () => {
    const audience = uniquePrefix('aud');
    await rounds('RevokeAllForAudience', async (i) => {
      const { here, there } = on(i);
      const old = await issue(there, `user-${i}`, ['other', audience]);
      await here.client.ok('RevokeAllForAudience', { tenant_id: tenantId, audience });
      const fresh = await issue(here, `user-${i}`, ['other', audience]);
      return { before: [old.access_token], after: fresh.access_token, there };
    });
  });

  it('RevokeAllForUserAndAudience', async () => {
    const sub = uniquePrefix('pair-user');
    await rounds('RevokeAllForUserAndAudience', async (i) => {
      const { here, there } = on(i);
      const old = await issue(here, sub, ['shop']);
      await here.client.ok('RevokeAllForUserAndAudience', { tenant_id: tenantId, user_id: sub, audience: 'shop' });
      const fresh = await issue(there, sub, ['shop']);
      return { before: [old.access_token], after: fresh.access_token, there };
    });
  });

  it('RevokeToken revokes every access token of the family, refreshed ones included', async () => {
    const sub = uniquePrefix('token-user');
    await rounds('RevokeToken', async (i) => {
      const { here, there } = on(i);
      const first = await issue(there, sub);
      const refreshed = await there.client.ok<WireTokenPair>('RefreshToken', {
        tenant_id: tenantId,
        refresh_token: first.refresh_token,
      });
      await here.client.ok('RevokeToken', { tenant_id: tenantId, refresh_token: refreshed.refresh_token });
      const fresh = await issue(here, sub);
      return { before: [first.access_token, refreshed.access_token], after: fresh.access_token, there };
    });
  });

  it('reuse detection revokes the family’s access tokens', async () => {
    const sub = uniquePrefix('reuse-user');
    await rounds('reuse detection', async (i) => {
      const { here, there } = on(i);
      const first = await issue(here, sub);
      const refreshed = await here.client.ok<WireTokenPair>('RefreshToken', {
        tenant_id: tenantId,
        refresh_token: first.refresh_token,
      });
      const replay = await there.client.call('RefreshToken', { tenant_id: tenantId, refresh_token: first.refresh_token });
      expect(replay.error?.details).toBe('refresh token was already used; its token family is revoked');
      const fresh = await issue(there, sub);
      return { before: [first.access_token, refreshed.access_token], after: fresh.access_token, there: here };
    });
  });
});

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';

// A replayed IssueToken or RefreshToken response is handed out again only while nothing
// revoked its tokens since, and a RefreshToken response only within its short window.

let t: TestApp;
let short: TestApp;
beforeAll(async () => {
  [t, short] = await Promise.all([startTestApp(), startTestApp({ TOKEN_ENGINE_REFRESH_REPLAY_WINDOW: '1s' })]);
});
afterAll(async () => {
  await Promise.all([t.stop(), short.stop()]);
});

const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

function calls(app: () => TestApp) {
  const withKey = (key: string) => app().client.metadata({ 'x-idempotency-key': key });
  const tenant = () => ({ tenant_id: app().tenantId });
  return {
    issue: (sub: string, key?: string) =>
      app().client.call<WireTokenPair>('IssueToken', { ...tenant(), sub }, key ? withKey(key) : undefined),
    refresh: (token: string, key?: string) =>
      app().client.call<WireTokenPair>('RefreshToken', { ...tenant(), refresh_token: token }, key ? withKey(key) : undefined),
    revoke: (rpc: string, request: object) => app().client.ok(rpc, { ...tenant(), ...request }),
  };
}
const c = calls(() => t);

describe('idempotent replays re-check revocation', () => {
  it('a RefreshToken replay after RevokeAllUserTokens answers PERMISSION_DENIED', async () => {
    const sub = unique('replay-user');
    const issued = await c.issue(sub);
    const k = unique('refresh');
    const first = await c.refresh(issued.response?.refresh_token ?? '', k);
    expect(first.error).toBeUndefined();
    const again = await c.refresh(issued.response?.refresh_token ?? '', k);
    expect(again.response).toEqual(first.response);
    expect(again.headers.get('x-idempotent-replay')).toEqual(['true']);

    await c.revoke('RevokeAllUserTokens', { user_id: sub });
    const replay = await c.refresh(issued.response?.refresh_token ?? '', k);
    expect(replay.error?.code).toBe(status.PERMISSION_DENIED);
    expect(replay.response).toBeUndefined();
    expect(replay.headers.get('x-idempotent-replay')).toEqual([]);
  });

  it('a RefreshToken replay after the family was revoked (RevokeToken of the successor) answers PERMISSION_DENIED', async () => {
    const issued = await c.issue(unique('family-user'));
    const k = unique('refresh');
    const first = await c.refresh(issued.response?.refresh_token ?? '', k);
    await c.revoke('RevokeToken', { refresh_token: first.response?.refresh_token });
    const replay = await c.refresh(issued.response?.refresh_token ?? '', k);
    expect(replay.error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('a RefreshToken replay after RevokeAllForAudience answers PERMISSION_DENIED; other users are untouched', async () => {
    const issued = await c.issue(unique('aud-user'));
    const k = unique('refresh');
    await c.refresh(issued.response?.refresh_token ?? '', k);
    await c.revoke('RevokeAllForAudience', { audience: t.audience });
    expect((await c.refresh(issued.response?.refresh_token ?? '', k)).error?.code).toBe(status.PERMISSION_DENIED);
    // Issued after the revocation: its replay is served.
    const later = await c.issue(unique('aud-user'));
    const k2 = unique('refresh');
    const one = await c.refresh(later.response?.refresh_token ?? '', k2);
    const two = await c.refresh(later.response?.refresh_token ?? '', k2);
    expect(two.error).toBeUndefined();
    expect(two.response).toEqual(one.response);
  });

  it('an IssueToken replay after RevokeAllUserTokens answers PERMISSION_DENIED', async () => {
    const sub = unique('issue-user');
    const k = unique('issue');
    const first = await c.issue(sub, k);
    expect((await c.issue(sub, k)).response).toEqual(first.response);
    await c.revoke('RevokeAllUserTokens', { user_id: sub });
    expect((await c.issue(sub, k)).error?.code).toBe(status.PERMISSION_DENIED);
  });
});

describe('the RefreshToken replay window (TOKEN_ENGINE_REFRESH_REPLAY_WINDOW)', () => {
  const s = calls(() => short);

  it('replays within the window; after it the key is forgotten, so the retry is reuse and revokes the family', async () => {
    const issued = await s.issue(unique('window-user'));
    const presented = issued.response?.refresh_token ?? '';
    const k = unique('refresh');
    const first = await s.refresh(presented, k);
    expect(first.error).toBeUndefined();
    const within = await s.refresh(presented, k);
    expect(within.response).toEqual(first.response);
    expect(within.headers.get('x-idempotent-replay')).toEqual(['true']);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = await s.refresh(presented, k);
    expect(late.error?.code).toBe(status.PERMISSION_DENIED);
    expect(late.error?.details).toContain('already used');
    // Reuse detection revoked the family: the successor handed out by the first call is dead too.
    expect((await s.refresh(first.response?.refresh_token ?? '')).error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('IssueToken keeps the whole idempotency TTL: replayed after the refresh window', async () => {
    const sub = unique('window-issue');
    const k = unique('issue');
    const first = await s.issue(sub, k);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const again = await s.issue(sub, k);
    expect(again.response).toEqual(first.response);
    expect(again.headers.get('x-idempotent-replay')).toEqual(['true']);
  });
});

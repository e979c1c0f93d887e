import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeId } from '../../src/store/redis/keys.js';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { testRedis } from '../support/stores.js';

let t: TestApp;
const redis = testRedis();
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
  await redis.quit();
});

const withKey = (key: string) => t.client.metadata({ 'x-idempotency-key': key });
const issue = (sub: string, key?: string, extra: object = {}) =>
  t.client.call<WireTokenPair>('IssueToken', { sub, tenant_id: t.tenantId, ...extra }, key ? withKey(key) : undefined);
const refresh = (token: string, key?: string, extra: object = {}) =>
  t.client.call<WireTokenPair>(
    'RefreshToken',
    { refresh_token: token, tenant_id: t.tenantId, ...extra },
    key ? withKey(key) : undefined,
  );
const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;
const clientKeysUsed: string[] = [];
const tokensSeen: string[] = [];
const remember = (pair?: WireTokenPair) => {
  if (pair) tokensSeen.push(pair.access_token, pair.refresh_token);
  return pair;
};
const key = (name: string) => {
  const k = unique(name);
  clientKeysUsed.push(k);
  return k;
};

describe('idempotency (IssueToken, RefreshToken)', () => {
  it('replays the identical pair for the same key and content, marked as a replay (scenario 13)', async () => {
    const k = key('same');
    const first = await issue('user-1', k);
    const second = await issue('user-1', k);
    expect(first.error).toBeUndefined();
    expect(remember(second.response)).toEqual(remember(first.response));
    expect(first.headers.get('x-idempotent-replay')).toEqual([]);
    expect(second.headers.get('x-idempotent-replay')).toEqual(['true']);
  });

  it('different keys give different tokens (scenario 14)', async () => {
    const a = await issue('user-1', key('a'));
    const b = await issue('user-1', key('b'));
    expect(a.response?.access_token).not.toBe(b.response?.access_token);
  });

  it('honours the deprecated request field, alone or equal to the header (scenario 15)', async () => {
    const k = key('field');
    const first = await issue('user-1', undefined, { idempotency_key: k });
    const second = await issue('user-1', undefined, { idempotency_key: k });
    const both = await issue('user-1', k, { idempotency_key: k });
    expect(second.response?.access_token).toBe(first.response?.access_token);
    expect(both.response?.access_token).toBe(first.response?.access_token);
  });

  it('refuses a header and a field that differ (scenario 16)', async () => {
    const result = await issue('user-1', key('h'), { idempotency_key: 'other' });
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(result.error?.details).toContain('both set but differ');
  });

  it('refuses an oversized or non-printable key', async () => {
    expect((await issue('user-1', 'k'.repeat(257))).error?.code).toBe(status.INVALID_ARGUMENT);
    expect((await issue('user-1', undefined, { idempotency_key: 'tab\there' })).error?.code).toBe(status.INVALID_ARGUMENT);
  });

  it('a rejected request leaves no claim behind (scenarios 17, 18)', async () => {
    const k = key('rejected');
    const noTenant = () => t.client.call('IssueToken', { sub: 'u', tenant_id: '' }, withKey(k));
    expect((await noTenant()).error?.code).toBe(status.INVALID_ARGUMENT);
    expect((await noTenant()).error?.code).toBe(status.INVALID_ARGUMENT);
    const k2 = key('reserved');
    expect((await issue('user-1', k2, { claims: { exp: '1' } })).error?.code).toBe(status.INVALID_ARGUMENT);
    const retry = await issue('user-1', k2);
    expect(retry.error).toBeUndefined();
  });

  it('a failed request releases its claim: an immediate retry runs', async () => {
    const k = key('unknown-tenant');
    const first = await t.client.call('IssueToken', { sub: 'u', tenant_id: 'no-such-tenant' }, withKey(k));
    expect(first.error?.code).toBe(status.NOT_FOUND);
    const again = await t.client.call('IssueToken', { sub: 'u', tenant_id: 'no-such-tenant' }, withKey(k));
    expect(again.error?.code).toBe(status.NOT_FOUND);
  });

  it('the same key with different content is FAILED_PRECONDITION (scenarios 19, 20)', async () => {
    const k = key('content');
    await issue('user-a', k);
    const other = await issue('user-b', k);
    expect(other.error?.code).toBe(status.FAILED_PRECONDITION);

    const a = remember((await issue('user-r')).response);
    const b = remember((await issue('user-r')).response);
    const rk = key('refresh-content');
    expect((await refresh(a?.refresh_token ?? '', rk)).error).toBeUndefined();
    expect((await refresh(b?.refresh_token ?? '', rk)).error?.code).toBe(status.FAILED_PRECONDITION);
  });

  it('a retried refresh with the same key replays instead of tripping reuse detection', async () => {
    const pair = remember((await issue('user-retry')).response);
    const k = key('refresh-retry');
    const first = await refresh(pair?.refresh_token ?? '', k);
    const retry = await refresh(pair?.refresh_token ?? '', k);
    expect(retry.response).toEqual(remember(first.response));
    expect((await refresh(first.response?.refresh_token ?? '')).error).toBeUndefined();
  });

  it('keys are method-scoped: one literal key works on IssueToken and RefreshToken (scenario 22)', async () => {
    const k = key('shared');
    const issued = remember((await issue('user-s', k)).response);
    const refreshed = await refresh(issued?.refresh_token ?? '', k);
    expect(refreshed.error).toBeUndefined();
    expect(remember(refreshed.response)?.access_token).not.toBe(issued?.access_token);
  });

  it('keys are caller-scoped: another caller with the same key gets its own result', async () => {
    const k = key('caller');
    const mine = await issue('user-c', k);
    const otherCaller = t.client.metadata({ 'x-idempotency-key': k });
    otherCaller.set('x-api-key', 'other-key');
    const theirs = await t.client.call<WireTokenPair>('IssueToken', { sub: 'user-c', tenant_id: t.tenantId }, otherCaller);
    expect(theirs.error).toBeUndefined();
    expect(theirs.response?.access_token).not.toBe(mine.response?.access_token);
  });

  it('8 parallel calls with one key run the handler once; every OK carries the same tokens', async () => {
    const k = key('parallel');
    const sub = unique('parallel-user');
    const results = await Promise.all(Array.from({ length: 8 }, () => issue(sub, k)));
    const ok = results.filter((r) => !r.error);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.response).toEqual(ok[0]?.response);
    for (const r of results.filter((x) => x.error)) expect(r.error?.code).toBe(status.ABORTED);
    const records = await redis.keys(`te:{${encodeId(t.tenantId)}}:rt:*`);
    const mineOnly = await Promise.all(records.map((r) => redis.hget(r, 'sub')));
    expect(mineOnly.filter((s) => s === sub)).toHaveLength(1);
    const replay = await issue(sub, k);
    expect(replay.response).toEqual(ok[0]?.response);
    remember(replay.response);
  });

  it('counts hits, misses and mismatches with their labels', async () => {
    const text = await (await fetch(`${t.httpBase}/metrics`)).text();
    for (const result of ['hit', 'miss', 'mismatch']) {
      expect(text).toMatch(
        new RegExp(`token_engine_idempotency_total\\{result="${result}",rpc_method="/token.v1.TokenEngine/IssueToken"\\} [1-9]`),
      );
    }
  });

  it('a Redis dump reveals no token and no client idempotency key', async () => {
    expect(tokensSeen.length).toBeGreaterThan(10);
    const needles = [...new Set([...tokensSeen, ...clientKeysUsed])].flatMap((s) =>
      // Whole values, and the signature part of each JWT.
      s.includes('.') ? [s, s.split('.')[2] ?? s] : [s],
    );
    const haystack: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        haystack.push(k);
        const type = await redis.type(k);
        if (type === 'string') haystack.push((await redis.get(k)) ?? '');
        if (type === 'hash') haystack.push(JSON.stringify(await redis.hgetall(k)));
        if (type === 'stream') haystack.push(JSON.stringify(await redis.xrange(k, '-', '+')));
      }
    } while (cursor !== '0');
    const dump = haystack.join('\n');
    expect(dump).toContain(encodeId(t.tenantId));
    for (const needle of needles) expect(dump.includes(needle), 'secret found in Redis').toBe(false);
  });
});

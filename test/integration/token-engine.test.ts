import { Metadata, status } from '@grpc/grpc-js';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { tokenRef } from '../../src/tokens/refresh-token.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

const issue = (sub: string, extra: object = {}) =>
  t.client.ok<WireTokenPair>('IssueToken', { sub, tenant_id: t.tenantId, ...extra });
const refresh = (token: string, extra: object = {}) =>
  t.client.call<WireTokenPair>('RefreshToken', { refresh_token: token, tenant_id: t.tenantId, ...extra });

describe('TokenEngine over gRPC with Redis', () => {
  it('issues a verifiable pair with real lifetimes (scenario 1)', async () => {
    const pair = await issue('user-1', { claims: { role: 'admin' } });
    expect(pair.access_token).not.toBe('');
    expect(pair.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([899, 900]).toContain(pair.access_token_expires_in);
    expect(pair.refresh_token_expires_in).toBe(30 * 24 * 3600);
    const jwks = (await (await fetch(`${t.httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(pair.access_token, createLocalJWKSet(jwks), {
      issuer: t.tenantId,
      audience: t.audience,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT', kid: jwks.keys[0]?.kid });
    expect(payload).toMatchObject({ sub: 'user-1', aud: [t.audience], role: 'admin' });
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
  });

  it('uses the requested audiences, in order', async () => {
    const pair = await issue('user-1', { audiences: ['api', 'admin'] });
    const jwks = (await (await fetch(`${t.httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(pair.access_token, createLocalJWKSet(jwks));
    expect(payload.aud).toEqual(['api', 'admin']);
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field (scenario 2)', async () => {
    const empty = await t.client.call('IssueToken', { sub: '', tenant_id: t.tenantId });
    expect(empty.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(empty.error?.details).toBe('sub must not be empty');
    const reserved = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId, claims: { jti: 'x' } });
    expect(reserved.error?.details).toBe('claims key "jti" is reserved');
    const noTenant = await t.client.call('RevokeAllUserTokens', { user_id: 'u', tenant_id: '' });
    expect(noTenant.error?.details).toBe('tenant_id must not be empty');
  });

  it('refuses calls without a valid API key, and accepts authorization: Bearer (scenario 3)', async () => {
    const none = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }, new Metadata());
    expect(none.error?.code).toBe(status.UNAUTHENTICATED);
    const wrong = new Metadata();
    wrong.set('x-api-key', 'test-api-kez');
    expect((await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }, wrong)).error?.code).toBe(
      status.UNAUTHENTICATED,
    );
    const bearer = new Metadata();
    bearer.set('authorization', 'Bearer test-api-key');
    expect((await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }, bearer)).error).toBeUndefined();
  });

  it('answers NOT_FOUND for an unknown tenant (scenario 4)', async () => {
    const result = await t.client.call('IssueToken', { sub: 'u', tenant_id: 'unknown-tenant' });
    expect(result.error?.code).toBe(status.NOT_FOUND);
    expect(result.error?.details).toBe('tenant unknown-tenant not found');
  });

  it('refreshes with rotation, chained (scenarios 6, 7)', async () => {
    const first = await issue('user-2');
    const second = await refresh(first.refresh_token);
    expect(second.error).toBeUndefined();
    expect(second.response?.refresh_token).not.toBe(first.refresh_token);
    expect([899, 900]).toContain(second.response?.access_token_expires_in);
    const third = await refresh(second.response?.refresh_token ?? '');
    expect(third.error).toBeUndefined();
  });

  it('carries claims over a refresh unless the request sends new ones', async () => {
    const jwks = (await (await fetch(`${t.httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const keys = createLocalJWKSet(jwks);
    const first = await issue('user-3', { claims: { org: 'acme' }, audiences: ['web'] });
    const carried = await refresh(first.refresh_token);
    const { payload: p1 } = await jwtVerify(carried.response?.access_token ?? '', keys);
    expect(p1).toMatchObject({ sub: 'user-3', org: 'acme', aud: ['web'] });
    const replaced = await refresh(carried.response?.refresh_token ?? '', { claims: { org: 'globex' } });
    const { payload: p2 } = await jwtVerify(replaced.response?.access_token ?? '', keys);
    expect(p2).toMatchObject({ org: 'globex' });
  });

  it('detects reuse: the old token is PERMISSION_DENIED and the family is revoked', async () => {
    const first = await issue('user-4');
    const second = await refresh(first.refresh_token);
    const reuse = await refresh(first.refresh_token);
    expect(reuse.error?.code).toBe(status.PERMISSION_DENIED);
    const descendant = await refresh(second.response?.refresh_token ?? '');
    expect(descendant.error?.code).toBe(status.PERMISSION_DENIED);
  });

  it('answers NOT_FOUND for garbage and unknown refresh tokens (scenario 8)', async () => {
    expect((await refresh('not-a-valid-token')).error?.code).toBe(status.NOT_FOUND);
    expect((await refresh('A'.repeat(43))).error?.code).toBe(status.NOT_FOUND);
  });

  it('RevokeToken revokes, and is OK for unknown tokens (scenario 9, RFC 7009)', async () => {
    const pair = await issue('user-5');
    expect(
      (await t.client.call('RevokeToken', { refresh_token: pair.refresh_token, tenant_id: t.tenantId })).error,
    ).toBeUndefined();
    expect((await refresh(pair.refresh_token)).error?.code).toBe(status.PERMISSION_DENIED);
    expect(
      (await t.client.call('RevokeToken', { refresh_token: pair.refresh_token, tenant_id: t.tenantId })).error,
    ).toBeUndefined();
    expect((await t.client.call('RevokeToken', { refresh_token: 'garbage', tenant_id: t.tenantId })).error).toBeUndefined();
  });

  it('writes one `token revoked` audit line per revocation, with the token reference and no token', async () => {
    const pair = await issue('user-audit');
    const md = t.client.metadata({ 'x-correlation-id': 'audit-corr-1' });
    await t.client.ok('RevokeToken', { refresh_token: pair.refresh_token, tenant_id: t.tenantId }, md);
    const lines = t.logs.filter((l) => l['msg'] === 'token revoked' && l['correlation_id'] === 'audit-corr-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      tenant_id: t.tenantId,
      caller_identity: 'test-caller',
      token_ref: tokenRef(pair.refresh_token),
      target: '',
      scope: 'token',
    });
    expect(String(lines[0]?.['occurred_at'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const allLogs = JSON.stringify(t.logs);
    expect(allLogs).not.toContain(pair.refresh_token);
    expect(allLogs).not.toContain(pair.access_token.split('.')[2]);
  });

  it('bulk revocations hit tokens issued before and not after (scenarios 10, 11, 12)', async () => {
    const byAudience = await issue('user-6', { audiences: ['reports', 'billing'] });
    const byUser = await issue('user-7');
    const byPair = await issue('user-8', { audiences: ['shop'] });
    const pairOtherAudience = await issue('user-8', { audiences: ['blog'] });
    await t.client.ok('RevokeAllForAudience', { audience: 'billing', tenant_id: t.tenantId });
    await t.client.ok('RevokeAllUserTokens', { user_id: 'user-7', tenant_id: t.tenantId });
    await t.client.ok('RevokeAllForUserAndAudience', { user_id: 'user-8', audience: 'shop', tenant_id: t.tenantId });
    expect((await refresh(byAudience.refresh_token)).error?.code).toBe(status.PERMISSION_DENIED);
    expect((await refresh(byUser.refresh_token)).error?.code).toBe(status.PERMISSION_DENIED);
    expect((await refresh(byPair.refresh_token)).error?.code).toBe(status.PERMISSION_DENIED);
    expect((await refresh(pairOtherAudience.refresh_token)).error).toBeUndefined();
    const after = await issue('user-7');
    expect((await refresh(after.refresh_token)).error).toBeUndefined();
  });

  it('of 16 parallel refreshes of one token exactly one succeeds', async () => {
    const pair = await issue('user-9');
    const results = await Promise.all(Array.from({ length: 16 }, () => refresh(pair.refresh_token)));
    expect(results.filter((r) => !r.error)).toHaveLength(1);
    expect(results.filter((r) => r.error?.code === status.PERMISSION_DENIED)).toHaveLength(15);
  });

  it('echoes a valid correlation id and replaces an unsafe one, on success and on rejection', async () => {
    const ok = await t.client.call(
      'IssueToken',
      { sub: 'u', tenant_id: t.tenantId },
      t.client.metadata({ 'x-correlation-id': 'fixed-existing-id' }),
    );
    expect(ok.headers.get('x-correlation-id')).toEqual(['fixed-existing-id']);
    const rejected = await t.client.call(
      'IssueToken',
      { sub: '', tenant_id: t.tenantId },
      t.client.metadata({ 'x-correlation-id': 'bad id{}' }),
    );
    expect(rejected.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(String(rejected.headers.get('x-correlation-id')[0])).toMatch(/^[0-9a-f-]{36}$/);
    const unauthenticated = new Metadata();
    unauthenticated.set('x-correlation-id', 'trace-me');
    const noKey = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }, unauthenticated);
    expect(noKey.error?.code).toBe(status.UNAUTHENTICATED);
    expect(noKey.headers.get('x-correlation-id')).toEqual(['trace-me']);
  });

  it('refuses request messages above 64 KiB', async () => {
    const big = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId, claims: { blob: 'x'.repeat(70 * 1024) } });
    expect(big.error?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('serves JWKS with cache headers and no private parts, and readiness 200', async () => {
    const res = await fetch(`${t.httpBase}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const body = (await res.json()) as JSONWebKeySet;
    expect(body.keys).toHaveLength(1);
    for (const key of body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
    const perTenant = await fetch(`${t.httpBase}/tenants/${encodeURIComponent(t.tenantId)}/.well-known/jwks.json`);
    expect(await perTenant.json()).toEqual(body);
    expect((await fetch(`${t.httpBase}/tenants/nope/.well-known/jwks.json`)).status).toBe(404);
    expect((await fetch(`${t.httpBase}/healthz/live`)).status).toBe(200);
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
  });

  it('exports request metrics with their labels', async () => {
    await issue('metrics-user');
    await refresh('A'.repeat(43));
    const text = await (await fetch(`${t.httpBase}/metrics`)).text();
    expect(text).toMatch(/token_engine_grpc_requests_total\{rpc_method="\/token.v1.TokenEngine\/IssueToken",status="OK"\} \d+/);
    expect(text).toMatch(
      /token_engine_grpc_requests_total\{rpc_method="\/token.v1.TokenEngine\/RefreshToken",status="NotFound"\} \d+/,
    );
    expect(text).toMatch(
      /token_engine_grpc_request_duration_seconds_count\{rpc_method="\/token.v1.TokenEngine\/IssueToken"\} \d+/,
    );
    expect(text).toContain('token_engine_active_tenants 1');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('signs with the key published in the JWKS (kid matches)', async () => {
    const pair = await issue('user-kid');
    const jwks = (await (await fetch(`${t.httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    expect(jwks.keys.map((k) => k.kid)).toContain(decodeProtectedHeader(pair.access_token).kid);
  });
});

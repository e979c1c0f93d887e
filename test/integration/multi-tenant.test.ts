import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';

let t: TestApp;
let dir: string;
let tenantsFile: string;
const second = uniquePrefix('tenant-b');
const third = uniquePrefix('tenant-c');

const writeTenants = (ids: string[]) =>
  writeFileSync(
    tenantsFile,
    `version: 1\ntenants:\n${ids
      .map(
        (id) =>
          `  - id: ${id}\n    issuer: https://${id}.example\n    audience: ${id}-api\n    access_token_ttl: 10m\n    signing_alg: EdDSA\n`,
      )
      .join('')}`,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tenants-'));
  tenantsFile = join(dir, 'tenants.yaml');
  writeTenants([second]);
  t = await startTestApp({ TOKEN_ENGINE_TENANTS_PATH: tenantsFile });
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const jwksFor = async (tenantId: string) =>
  (await (await fetch(`${t.httpBase}/tenants/${encodeURIComponent(tenantId)}/.well-known/jwks.json`)).json()) as JSONWebKeySet;

describe('several tenants in one process', () => {
  it('gives each tenant its own issuer, settings, keys and JWKS', async () => {
    const a = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'alice', tenant_id: t.tenantId });
    const b = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'alice', tenant_id: second });
    const [jwksA, jwksB] = [await jwksFor(t.tenantId), await jwksFor(second)];
    expect(jwksA.keys.map((k) => k.kid)).not.toEqual(jwksB.keys.map((k) => k.kid));
    expect(await (await fetch(`${t.httpBase}/.well-known/jwks.json`)).json()).toEqual(jwksA);
    const { payload, protectedHeader } = await jwtVerify(b.access_token, createLocalJWKSet(jwksB));
    expect(payload).toMatchObject({ iss: `https://${second}.example`, aud: [`${second}-api`] });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(b.access_token_expires_in).toBeLessThanOrEqual(600);
    await expect(jwtVerify(b.access_token, createLocalJWKSet(jwksA))).rejects.toThrow();
    expect(decodeProtectedHeader(a.access_token).alg).toBe('ES256');
  });

  it('keeps data apart: a refresh token of one tenant is NOT_FOUND under another', async () => {
    const a = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'bob', tenant_id: t.tenantId });
    const cross = await t.client.call('RefreshToken', { refresh_token: a.refresh_token, tenant_id: second });
    expect(cross.error?.code).toBe(status.NOT_FOUND);
    expect(
      (await t.client.call('RefreshToken', { refresh_token: a.refresh_token, tenant_id: t.tenantId })).error,
    ).toBeUndefined();
  });

  it('revoking a user in one tenant leaves the same user id in the other untouched', async () => {
    const a = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'carol', tenant_id: t.tenantId });
    const b = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'carol', tenant_id: second });
    await t.client.ok('RevokeAllUserTokens', { user_id: 'carol', tenant_id: t.tenantId });
    expect((await t.client.call('RefreshToken', { refresh_token: a.refresh_token, tenant_id: t.tenantId })).error?.code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await t.client.call('RefreshToken', { refresh_token: b.refresh_token, tenant_id: second })).error).toBeUndefined();
  });

  it('reloads the tenants file: a new tenant is served, a dropped one answers NOT_FOUND', async () => {
    writeTenants([third]);
    await t.app.reloadTenants();
    expect((await t.client.call('IssueToken', { sub: 'dave', tenant_id: third })).error).toBeUndefined();
    const gone = await t.client.call('IssueToken', { sub: 'dave', tenant_id: second });
    expect(gone.error?.code).toBe(status.NOT_FOUND);
    expect(gone.error?.details).toBe(`tenant ${second} not found`);
    expect((await fetch(`${t.httpBase}/tenants/${second}/.well-known/jwks.json`)).status).toBe(404);
    const metrics = await (await fetch(`${t.httpBase}/metrics`)).text();
    expect(metrics).toContain('token_engine_active_tenants 2');
    for (const op of ['add', 'drain', 'remove']) {
      expect(metrics).toMatch(new RegExp(`token_engine_tenant_registry_operations_total\\{operation="${op}"\\} [1-9]`));
    }
  });
});

import { status } from '@grpc/grpc-js';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { runServiceToExit, startService, type ServiceProcess } from '../support/service-process.js';

const API_KEY = 'e2e-key';

function serviceEnv(tenantId: string): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'e2e-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=e2e-caller`,
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
  };
}

async function jwks(service: ServiceProcess): Promise<JSONWebKeySet> {
  const res = await fetch(`${service.httpBase}/.well-known/jwks.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as JSONWebKeySet;
}

describe('the built service (node dist/main.js) against Redis', () => {
  it('issues, verifies with its JWKS, refreshes, revokes, and keeps state across a restart', async () => {
    const tenantId = uniquePrefix('e2e');
    let service = await startService(serviceEnv(tenantId));
    let client = new TestClient(service.grpcAddress, API_KEY);
    const tenant = { tenant_id: tenantId };
    try {
      const pair = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'alice', claims: { role: 'reader' } });
      const keys = await jwks(service);
      const { payload, protectedHeader } = await jwtVerify(pair.access_token, createLocalJWKSet(keys));
      expect(protectedHeader.alg).toBe('RS256');
      expect(protectedHeader.typ).toBe('JWT');
      expect(protectedHeader.kid).toBe(keys.keys[0]?.kid);
      expect(payload.iss).toBe(tenantId);
      expect(payload.sub).toBe('alice');
      expect(payload.aud).toEqual(['e2e-api']);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
      expect(payload.nbf).toBe(payload.iat);
      expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(payload['role']).toBe('reader');

      // Refresh rotates; presenting the old token again revokes the family.
      const rotated = await client.ok<WireTokenPair>('RefreshToken', { ...tenant, refresh_token: pair.refresh_token });
      expect(rotated.refresh_token).not.toBe(pair.refresh_token);
      const reuse = await client.call('RefreshToken', { ...tenant, refresh_token: pair.refresh_token });
      expect(reuse.error?.code).toBe(status.PERMISSION_DENIED);
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: rotated.refresh_token })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );

      // Each revocation RPC.
      const forToken = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'bob' });
      await client.ok('RevokeToken', { ...tenant, refresh_token: forToken.refresh_token });
      const forAudience = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'carol', audiences: ['a1', 'a2'] });
      await client.ok('RevokeAllForAudience', { ...tenant, audience: 'a2' });
      const forUser = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'dave' });
      await client.ok('RevokeAllUserTokens', { ...tenant, user_id: 'dave' });
      const forPair = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'erin', audiences: ['shop'] });
      await client.ok('RevokeAllForUserAndAudience', { ...tenant, user_id: 'erin', audience: 'shop' });
      for (const revoked of [forToken, forAudience, forUser, forPair]) {
        const r = await client.call('RefreshToken', { ...tenant, refresh_token: revoked.refresh_token });
        expect(r.error?.code).toBe(status.PERMISSION_DENIED);
      }

      // A token issued before a restart still refreshes after it, signed with the same key.
      const keeper = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'frank' });
      client.close();
      expect(await service.stop('SIGTERM')).toBe(0);

      service = await startService(serviceEnv(tenantId));
      client = new TestClient(service.grpcAddress, API_KEY);
      const keysAfter = await jwks(service);
      expect(keysAfter.keys.map((k) => k.kid)).toEqual(keys.keys.map((k) => k.kid));
      const afterRestart = await client.ok<WireTokenPair>('RefreshToken', { ...tenant, refresh_token: keeper.refresh_token });
      const verified = await jwtVerify(afterRestart.access_token, createLocalJWKSet(keysAfter));
      expect(verified.payload.sub).toBe('frank');
      expect((await client.call('RefreshToken', { ...tenant, refresh_token: forUser.refresh_token })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
    } finally {
      client.close();
      await service.stop('SIGTERM');
    }
    expect(service.output()).not.toContain(API_KEY);
  });

  it('rotate-keys replaces the signing key at once and the running service picks it up', async () => {
    const tenantId = uniquePrefix('e2e-rotate');
    const service = await startService({ ...serviceEnv(tenantId), TOKEN_ENGINE_SIGNING_ALG: 'ES256' });
    const client = new TestClient(service.grpcAddress, API_KEY);
    try {
      const [before] = (await jwks(service)).keys;
      const run = await runServiceToExit({ ...serviceEnv(tenantId), TOKEN_ENGINE_SIGNING_ALG: 'ES256' }, [
        'rotate-keys',
        '--tenant',
        tenantId,
        '--retire-old',
      ]);
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.output.split('\n').find((l) => l.includes('"kid"')) ?? '{}') as { kid?: string };
      expect(printed.kid).toMatch(/^[0-9a-f-]{36}$/);
      expect(printed.kid).not.toBe(before?.kid);
      let kids: (string | undefined)[] = [];
      for (let i = 0; i < 40 && kids.join() !== printed.kid; i++) {
        await new Promise((r) => setTimeout(r, 250));
        kids = (await jwks(service)).keys.map((k) => k.kid);
      }
      expect(kids).toEqual([printed.kid]);
      const pair = await client.ok<WireTokenPair>('IssueToken', { tenant_id: tenantId, sub: 'after-rotation' });
      const { protectedHeader } = await jwtVerify(pair.access_token, createLocalJWKSet(await jwks(service)));
      expect(protectedHeader.kid).toBe(printed.kid);
    } finally {
      client.close();
      await service.stop();
    }
  });

  it('runs with the embedded memory store and no Redis at all', async () => {
    const service = await startService({
      TOKEN_ENGINE_ISSUER: 'local-dev',
      TOKEN_ENGINE_AUDIENCE: 'local-api',
      TOKEN_ENGINE_TLS_MODE: 'disabled',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=dev`,
      TOKEN_ENGINE_STORE: 'memory',
      TOKEN_ENGINE_REDIS_URL: 'redis://127.0.0.1:1',
    });
    const client = new TestClient(service.grpcAddress, API_KEY);
    try {
      const pair = await client.ok<WireTokenPair>('IssueToken', { tenant_id: 'local-dev', sub: 'alice' });
      expect([899, 900]).toContain(pair.access_token_expires_in);
      expect((await fetch(`${service.httpBase}/healthz/ready`)).status).toBe(200);
    } finally {
      client.close();
      expect(await service.stop('SIGINT')).toBe(0);
    }
  });

  it('exits 1 listing every missing required variable', async () => {
    const { code, output } = await runServiceToExit({ TOKEN_ENGINE_TLS_MODE: 'disabled' });
    expect(code).toBe(1);
    expect(output).toContain('TOKEN_ENGINE_ISSUER must not be empty');
    expect(output).toContain('TOKEN_ENGINE_AUDIENCE must not be empty');
    expect(output).toContain('TOKEN_ENGINE_STATIC_CALLER_KEYS');
  });
});

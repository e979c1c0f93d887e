import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { startService } from '../support/service-process.js';

const API_KEY = 'e2e-key';

function serviceEnv(tenantId: string, ttls: Record<string, string>): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'e2e-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=e2e-caller`,
    TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
    ...ttls,
  };
}

describe('revocations when the refresh-token lifetime is lowered (node dist/main.js)', () => {
  it('a revocation made under a 4 s lifetime still refuses tokens issued under a 1 h one, after 4 s', async () => {
    const tenantId = uniquePrefix('e2e-ttl');
    const tenant = { tenant_id: tenantId };
    let service = await startService(serviceEnv(tenantId, { TOKEN_ENGINE_REFRESH_TOKEN_TTL: '1h' }));
    let client = new TestClient(service.grpcAddress, API_KEY);
    let byUser: WireTokenPair;
    let byToken: WireTokenPair;
    try {
      byUser = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'mallory' });
      byToken = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'trent' });
    } finally {
      client.close();
      expect(await service.stop('SIGTERM')).toBe(0);
    }

    // The typical response to an incident: a much shorter lifetime, then the revocations.
    service = await startService(
      serviceEnv(tenantId, { TOKEN_ENGINE_REFRESH_TOKEN_TTL: '4s', TOKEN_ENGINE_ACCESS_TOKEN_TTL: '2s' }),
    );
    client = new TestClient(service.grpcAddress, API_KEY);
    try {
      await client.ok('RevokeAllUserTokens', { ...tenant, user_id: 'mallory' });
      await client.ok('RevokeToken', { ...tenant, refresh_token: byToken.refresh_token });
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      for (const revoked of [byUser, byToken]) {
        const r = await client.call('RefreshToken', { ...tenant, refresh_token: revoked.refresh_token });
        expect(r.error?.code).toBe(status.PERMISSION_DENIED);
      }
      // A token issued now (4 s lifetime) is not caught by either revocation.
      const fresh = await client.ok<WireTokenPair>('IssueToken', { ...tenant, sub: 'mallory' });
      await client.ok<WireTokenPair>('RefreshToken', { ...tenant, refresh_token: fresh.refresh_token });
    } finally {
      client.close();
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);
});

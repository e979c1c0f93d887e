import { describe, expect, it } from 'vitest';
import { TestClient } from '../support/grpc-client.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { startService } from '../support/service-process.js';

describe('TOKEN_ENGINE_WORKERS=2', () => {
  it('serves on shared ports from two processes, aggregates metrics for one scrape, and stops cleanly', async () => {
    const tenantId = uniquePrefix('workers');
    const service = await startService({
      TOKEN_ENGINE_ISSUER: tenantId,
      TOKEN_ENGINE_AUDIENCE: 'api',
      TOKEN_ENGINE_TLS_MODE: 'disabled',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'w-key=w',
      TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
      TOKEN_ENGINE_SIGNING_ALG: 'ES256',
      TOKEN_ENGINE_WORKERS: '2',
    });
    try {
      // Both workers must be up before the count means anything: wait for two start lines.
      for (let i = 0; i < 100 && service.output().split('"token-engine started"').length - 1 < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(service.output().split('"token-engine started"').length - 1).toBe(2);
      // Separate connections: the primary hands connections to the workers in turn.
      const calls = 12;
      for (let i = 0; i < calls; i++) {
        const client = new TestClient(service.grpcAddress, 'w-key');
        await client.ok('IssueToken', { tenant_id: tenantId, sub: `u${i}` });
        client.close();
      }
      const line = /token_engine_grpc_requests_total\{rpc_method="\/token.v1.TokenEngine\/IssueToken",status="OK"\} (\d+)/;
      for (let scrape = 0; scrape < 4; scrape++) {
        const text = await (await fetch(`${service.httpBase}/metrics`)).text();
        expect(Number(line.exec(text)?.[1])).toBe(calls);
        expect(text).toMatch(/^token_engine_active_tenants 1$/m);
      }
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });
});

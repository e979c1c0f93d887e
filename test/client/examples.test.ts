import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as customClaims } from '../../examples/custom-claims.js';
import { main as idempotentRetries } from '../../examples/idempotent-retries.js';
import { main as mtlsClient } from '../../examples/mtls-client.js';
import { main as multiTenant } from '../../examples/multi-tenant.js';
import { main as plainClient } from '../../examples/plain-client.js';
import { main as protectedServer } from '../../examples/protected-server.js';
import { startMtlsTestApp, startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import type { TestPki } from '../support/certs.js';
import { uniquePrefix } from '../support/redis.js';
import { EXAMPLES_DIST } from './support/paths.js';
import { runNode } from './support/run-node.js';

describe('the examples against a started service (API key)', () => {
  let t: TestApp;
  const options = (): { address: string; apiKey: string; httpBase: string; tenantId: string } => ({
    address: t.grpcAddress,
    apiKey: TEST_API_KEY,
    httpBase: t.httpBase,
    tenantId: t.tenantId,
  });
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('plain-client: issue, refresh (rotation), revoke, refused afterwards', async () => {
    const result = await plainClient(options());
    expect(result).toEqual({
      accessTokenExpiresIn: expect.any(Number),
      refreshTokenExpiresIn: expect.any(Number),
      rotated: true,
      refreshAfterRevoke: 'PERMISSION_DENIED',
    });
    expect([899, 900]).toContain(result.accessTokenExpiresIn);
  });

  it('custom-claims: a resource server verifies the token with the JWKS and reads the claims', async () => {
    expect(await customClaims(options())).toEqual({
      sub: 'carol',
      aud: ['orders-api'],
      role: 'editor',
      plan: 'pro',
      kid: expect.any(String),
    });
  });

  it('idempotent-retries: same key and content replays, different content is refused', async () => {
    expect(await idempotentRetries(options())).toEqual({
      identical: true,
      replayed: true,
      differentContent: 'FAILED_PRECONDITION',
    });
  });

  it('multi-tenant: with one tenant served, an unknown tenant and a foreign token are NOT_FOUND', async () => {
    const other = uniquePrefix('not-served');
    expect(await multiTenant({ ...options(), tenants: [t.tenantId, other] })).toEqual({
      tenants: { [t.tenantId]: 'served', [other]: 'NOT_FOUND' },
      crossTenantRefresh: { from: t.tenantId, to: other, code: 'NOT_FOUND' },
    });
    const single = await multiTenant(options());
    expect(single.tenants[t.tenantId]).toBe('served');
    expect(Object.values(single.tenants)).toEqual(['served', 'NOT_FOUND']);
    expect(single.crossTenantRefresh?.code).toBe('NOT_FOUND');
  });

  it('protected-server: a revocation reaches the resource server’s own verifier within a second', async () => {
    expect(await protectedServer(options())).toEqual({
      before: { status: 200, body: { sub: 'ivy', orders: [] } },
      after: { status: 401, body: { error: 'revoked' } },
      anonymous: 401,
      refusedWithinOneSecond: true,
    });
  });

  it('every built example runs with node and prints its result', async () => {
    const args = ['--address', t.grpcAddress, '--http', t.httpBase, '--tenant', t.tenantId];
    const env = { TOKEN_ENGINE_CLI_API_KEY: TEST_API_KEY };
    const runs = await Promise.all(
      ['plain-client', 'custom-claims', 'idempotent-retries', 'multi-tenant', 'protected-server'].map(async (name) => ({
        name,
        run: await runNode(join(EXAMPLES_DIST, `${name}.js`), args, env),
      })),
    );
    for (const { name, run } of runs) {
      expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toBeTypeOf('object');
    }
    expect(JSON.parse(runs[0]?.run.stdout ?? '{}')).toMatchObject({ refreshAfterRevoke: 'PERMISSION_DENIED' });
    const failed = await runNode(
      join(EXAMPLES_DIST, 'plain-client.js'),
      [...args.slice(0, 4), '--tenant', 'no-such-tenant'],
      env,
    );
    expect(failed).toMatchObject({ code: 1, stderr: 'NOT_FOUND: tenant no-such-tenant not found\n' });
  });
});

describe('the mtls-client example', () => {
  let pki: TestPki;
  let t: TestApp;
  let stopApp: () => Promise<void>;
  beforeAll(async () => {
    ({ t, pki, stop: stopApp } = await startMtlsTestApp('example-mtls'));
  });
  afterAll(async () => {
    await stopApp();
  });

  it('issues with a client certificate and revokes all of the user’s tokens', async () => {
    const result = await mtlsClient({
      address: t.grpcAddress,
      httpBase: t.httpBase,
      tenantId: t.tenantId,
      tls: { cert: pki.clients.serviceA.cert, key: pki.clients.serviceA.key, ca: pki.ca, serverName: 'localhost' },
    });
    expect(result).toEqual({
      issued: true,
      accessTokenExpiresIn: expect.any(Number),
      refreshAfterRevokeAll: 'PERMISSION_DENIED',
    });
    await expect(mtlsClient({ address: t.grpcAddress, httpBase: t.httpBase, tenantId: t.tenantId, apiKey: 'k' })).rejects.toThrow(
      'needs tls options',
    );
  });

  it('runs built, with certificate files on the command line', async () => {
    const run = await runNode(join(EXAMPLES_DIST, 'mtls-client.js'), [
      '--address',
      t.grpcAddress,
      '--http',
      t.httpBase,
      '--tenant',
      t.tenantId,
      '--cert',
      join(pki.dir, 'client.crt'),
      '--key',
      join(pki.dir, 'client.key'),
      '--ca',
      pki.caFile,
      '--server-name',
      'localhost',
    ]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ issued: true, refreshAfterRevokeAll: 'PERMISSION_DENIED' });
  });
});

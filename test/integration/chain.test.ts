import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, status, type Client } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMtlsTestApp, startTestApp, type TestApp } from '../support/app.js';
import { makeTestPki, type CertKey, type TestPki } from '../support/certs.js';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { uniquePrefix } from '../support/redis.js';

type Unary = (req: object, md: Metadata, cb: (err: { code: number } | null, res: Record<string, unknown>) => void) => void;

function healthClient(address: string, creds = credentials.createInsecure()): Client & { Check: Unary } {
  const def = protoLoader.loadSync(healthProtoPath, { keepCase: true, defaults: true, enums: String });
  const pkg = loadPackageDefinition(def) as unknown as {
    grpc: { health: { v1: { Health: new (a: string, c: unknown, o?: object) => Client & { Check: Unary } } } };
  };
  return new pkg.grpc.health.v1.Health(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
}

const check = (client: Client & { Check: Unary }, md = new Metadata()) =>
  new Promise<{ code?: number; status?: unknown }>((resolve) =>
    client.Check({ service: '' }, md, (err, res) => resolve(err ? { code: err.code } : { status: res['status'] })),
  );

describe('the chain with static API keys and a caller registry', () => {
  let t: TestApp;
  let otherTenant: string;
  beforeAll(async () => {
    const pki = await makeTestPki();
    const tenantId = uniquePrefix('chain');
    otherTenant = uniquePrefix('elsewhere');
    const registry = join(pki.dir, 'callers.yaml');
    writeFileSync(
      registry,
      `version: 1\ncallers:\n  - identity: test-caller\n    permitted_tenants: ["${tenantId}"]\n  - identity: other-caller\n    permitted_tenants: ["${otherTenant}"]\n`,
    );
    t = await startTestApp({ TOKEN_ENGINE_CALLER_REGISTRY_PATH: registry }, tenantId);
    await pki.cleanup();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('lets a permitted caller act on its tenant (scenario 36)', async () => {
    const r = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId });
    expect(r.error).toBeUndefined();
  });

  it('denies a caller the registry does not permit for the tenant, before anything else runs', async () => {
    const md = new Metadata();
    md.set('x-api-key', 'other-key');
    const denied = await t.client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId }, md);
    expect(denied.error?.code).toBe(status.PERMISSION_DENIED);
    expect(denied.error?.details).toBe('caller not authorized');
    const invalidButDenied = await t.client.call('IssueToken', { sub: '', tenant_id: t.tenantId }, md);
    expect(invalidButDenied.error?.code).toBe(status.PERMISSION_DENIED);
    const elsewhere = await t.client.call('IssueToken', { sub: 'u', tenant_id: otherTenant }, md);
    expect(elsewhere.error?.code).toBe(status.NOT_FOUND);
  });

  it('checks credentials before authorization (scenario 3 ordering)', async () => {
    const r = await t.client.call('IssueToken', { sub: 'u', tenant_id: otherTenant }, new Metadata());
    expect(r.error?.code).toBe(status.UNAUTHENTICATED);
    expect(r.error?.details).toBe('invalid or missing api key');
  });

  it('answers gRPC health checks without credentials', async () => {
    const client = healthClient(t.grpcAddress);
    expect(await check(client)).toEqual({ status: 'SERVING' });
    client.close();
  });

  it('serves reflection when TLS is disabled', async () => {
    const dir = 'node_modules/@grpc/reflection/build/proto';
    const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [dir],
      keepCase: true,
      defaults: true,
    });
    const pkg = loadPackageDefinition(def) as unknown as {
      grpc: {
        reflection: {
          v1: {
            ServerReflection: new (
              a: string,
              c: unknown,
            ) => Client & { ServerReflectionInfo(): NodeJS.EventEmitter & { write(m: object): void; end(): void } };
          };
        };
      };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(t.grpcAddress, credentials.createInsecure());
    const stream = client.ServerReflectionInfo();
    const services = await new Promise<string[]>((resolve, reject) => {
      stream.on('data', (res: { list_services_response?: { service: { name: string }[] } }) =>
        resolve((res.list_services_response?.service ?? []).map((s) => s.name)),
      );
      stream.on('error', reject);
      stream.write({ list_services: '*' });
    });
    stream.end();
    client.close();
    expect(services).toEqual(expect.arrayContaining(['token.v1.TokenEngine', 'grpc.health.v1.Health']));
  });

  it('records the authenticated caller in the audit trail of a revocation', async () => {
    const pair = await t.client.ok<WireTokenPair>('IssueToken', { sub: 'audited', tenant_id: t.tenantId });
    await t.client.ok('RevokeToken', { refresh_token: pair.refresh_token, tenant_id: t.tenantId });
    const [record] = await t.app.stores.tokens.recentAudit(t.tenantId, 1);
    expect(record).toMatchObject({ callerIdentity: 'test-caller', scope: 'token' });
    expect(record?.tokenRef).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('the chain in mTLS mode', () => {
  let pki: TestPki;
  let t: TestApp;
  const clientFor = (id: CertKey) =>
    new TestClient(t.grpcAddress, undefined, credentials.createSsl(pki.ca, id.key, id.cert), {
      'grpc.ssl_target_name_override': 'localhost',
    });

  let stopApp: () => Promise<void>;
  beforeAll(async () => {
    ({ t, pki, stop: stopApp } = await startMtlsTestApp('mtls'));
  });
  afterAll(async () => {
    await stopApp();
  });

  it('identifies the caller by its certificate CN and lets a permitted one in', async () => {
    const client = clientFor(pki.clients.serviceA);
    const pair = await client.ok<WireTokenPair>('IssueToken', { sub: 'u', tenant_id: t.tenantId });
    await client.ok('RevokeAllUserTokens', { user_id: 'u', tenant_id: t.tenantId });
    const [record] = await t.app.stores.tokens.recentAudit(t.tenantId, 1);
    expect(record?.callerIdentity).toBe('service-a');
    expect(pair.refresh_token).toHaveLength(43);
    client.close();
  });

  it('denies a valid certificate whose CN is not permitted for the tenant', async () => {
    const client = clientFor(pki.clients.serviceB);
    const r = await client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId });
    expect(r.error?.code).toBe(status.PERMISSION_DENIED);
    client.close();
  });

  it('refuses a certificate without a CN', async () => {
    const client = clientFor(pki.clients.noCn);
    const r = await client.call('IssueToken', { sub: 'u', tenant_id: t.tenantId });
    expect(r.error?.code).toBe(status.UNAUTHENTICATED);
    expect(r.error?.details).toBe('client certificate Common Name is empty');
    client.close();
  });

  it('never lets a client without a certificate, or with an untrusted one, reach a handler', async () => {
    const before = await (await fetch(`${t.httpBase}/metrics`)).text();
    const noCert = new TestClient(t.grpcAddress, undefined, credentials.createSsl(pki.ca), {
      'grpc.ssl_target_name_override': 'localhost',
    });
    expect((await noCert.call('IssueToken', { sub: 'u', tenant_id: t.tenantId })).error?.code).toBe(status.UNAVAILABLE);
    noCert.close();
    const untrusted = clientFor(pki.clients.untrusted);
    expect((await untrusted.call('IssueToken', { sub: 'u', tenant_id: t.tenantId })).error?.code).toBe(status.UNAVAILABLE);
    untrusted.close();
    const after = await (await fetch(`${t.httpBase}/metrics`)).text();
    const count = (text: string) =>
      (text.match(/token_engine_grpc_requests_total\{[^}]*\} (\d+)/g) ?? [])
        .map((l) => Number(l.split(' ').at(-1)))
        .reduce((a, b) => a + b, 0);
    expect(count(after)).toBe(count(before));
  });

  it('answers health checks from any client with a valid certificate, without authorization', async () => {
    const client = healthClient(
      t.grpcAddress,
      credentials.createSsl(pki.ca, pki.clients.serviceB.key, pki.clients.serviceB.cert),
    );
    expect(await check(client)).toEqual({ status: 'SERVING' });
    client.close();
  });
});

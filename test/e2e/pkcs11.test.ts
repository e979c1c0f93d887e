import { status } from '@grpc/grpc-js';
import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, type WireTokenPair } from '../support/grpc-client.js';
import { runToken } from '../support/pkcs11.js';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';
import { runServiceToExit, type ServiceProcess, startService } from '../support/service-process.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';

const API_KEY = 'e2e-key';
const env = (tenantId: string, token: Record<string, string>): Record<string, string> => ({
  TOKEN_ENGINE_ISSUER: tenantId,
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=e2e`,
  TOKEN_ENGINE_REDIS_URL: redisUrlForTests(),
  TOKEN_ENGINE_SIGNING_ALG: 'ES256',
  ...token,
});

describe('the PKCS#11 signer in the built service', () => {
  it('exits 1 on a wrong PIN, naming the problem and never the PIN', async () => {
    const token = runToken();
    const wrongPin = `${token.pin}0`;
    const { code, output } = await runServiceToExit(
      env(uniquePrefix('p11-pin'), { ...token.env, TOKEN_ENGINE_PKCS11_PIN: wrongPin }),
    );
    expect(code).toBe(1);
    expect(output).toMatch(/PKCS#11 login to token .* failed \(CKR_PIN_INCORRECT\): TOKEN_ENGINE_PKCS11_PIN is not its user PIN/);
    expect(output).not.toContain(wrongPin);
  });

  it('exits 1 when no token has the configured label', async () => {
    const token = runToken();
    const { code, output } = await runServiceToExit(
      env(uniquePrefix('p11-label'), { ...token.env, TOKEN_ENGINE_PKCS11_TOKEN_LABEL: 'no-such-token' }),
    );
    expect(code).toBe(1);
    expect(output).toContain('no PKCS#11 token labelled \\"no-such-token\\" (TOKEN_ENGINE_PKCS11_TOKEN_LABEL)');
  });
});

describe('the token lost while running (its own SoftHSM2 token)', () => {
  const tenantId = uniquePrefix('p11-outage');
  let token: SoftHsmToken;
  let svc: ServiceProcess;
  let client: TestClient;
  let module: string;

  beforeAll(async () => {
    token = await createSoftHsmToken('te-outage');
    // A copy of the library that the test can take away.
    module = join(token.dir, 'libsofthsm2.so');
    await copyFile(token.module, module);
    svc = await startService(env(tenantId, { ...token.env, TOKEN_ENGINE_PKCS11_MODULE: module }));
    client = new TestClient(svc.grpcAddress, API_KEY);
  });
  afterAll(async () => {
    client.close();
    await svc.stop();
    await token.remove();
  });

  const issue = () => client.call<WireTokenPair>('IssueToken', { sub: 'u', tenant_id: tenantId });
  const ready = async () => fetch(`${svc.httpBase}/healthz/ready`);

  it('answers UNAVAILABLE within 1 s, fails readiness, keeps serving JWKS, and recovers without a restart', async () => {
    expect((await issue()).error).toBeUndefined();
    const jwksBefore = (await (await fetch(`${svc.httpBase}/.well-known/jwks.json`)).json()) as JSONWebKeySet;

    // The token deleted and the module removed from disk.
    await rename(token.tokenDir, `${token.tokenDir}.away`);
    await rm(module);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const { error } = await issue();
      expect(error?.code).toBe(status.UNAVAILABLE);
      expect(error?.details).toBe('signing key store unavailable; retry');
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ failed_check: 'key_availability' });
    const jwks = await fetch(`${svc.httpBase}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(await jwks.json()).toEqual(jwksBefore);
    // Reconnection is tried and fails for as long as the library is missing.
    await waitFor(() => svc.output().includes('cannot load PKCS#11 module'));

    await copyFile(token.module, module);
    await rename(`${token.tokenDir}.away`, token.tokenDir);
    await waitFor(async () => (await ready()).status === 200);
    const { response, error } = await issue();
    expect(error).toBeUndefined();
    await jwtVerify(response?.access_token ?? '', createLocalJWKSet(jwksBefore), { algorithms: ['ES256'] });
    expect(svc.output()).toContain('PKCS#11 token reconnected; signing available');
  });
});

/** Polls `condition` every 100 ms for up to 15 s. */
async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

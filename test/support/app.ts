import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { makeTestPki, mtlsEnv, type TestPki } from './certs.js';
import { TestClient } from './grpc-client.js';
import { redisUrlForTests, uniquePrefix } from './redis.js';

export const TEST_API_KEY = 'test-api-key';
export const TEST_CALLER = 'test-caller';

/** A started app on loopback ports with a tenant of its own, and a client for it. */
export interface TestApp {
  readonly app: App;
  readonly tenantId: string;
  readonly audience: string;
  readonly grpcAddress: string;
  readonly httpBase: string;
  readonly client: TestClient;
  /** Every log line the app wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts the real application (Redis store unless overridden) for one test file. */
export async function startTestApp(env: Record<string, string> = {}, tenantId = uniquePrefix('tenant')): Promise<TestApp> {
  const audience = 'api';
  const { config } = loadConfig({
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: audience,
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: `${TEST_API_KEY}=${TEST_CALLER},other-key=other-caller`,
    TOKEN_ENGINE_GRPC_ADDR: '127.0.0.1:0',
    TOKEN_ENGINE_HTTP_ADDR: '127.0.0.1:0',
    TOKEN_ENGINE_SIGNING_ALG: 'ES256',
    TOKEN_ENGINE_REDIS_URL: env['TOKEN_ENGINE_STORE'] === 'memory' ? '' : redisUrlForTests(),
    TOKEN_ENGINE_LOG_LEVEL: 'debug',
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await buildApp(config, { log: createLogger('debug', sink) });
  const { grpcPort, httpPort } = await app.start();
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const client = new TestClient(grpcAddress, TEST_API_KEY);
  return {
    app,
    tenantId,
    audience,
    grpcAddress,
    httpBase: `http://127.0.0.1:${httpPort}`,
    client,
    logs,
    stop: async () => {
      client.close();
      await app.stop();
    },
  };
}

/**
 * The app in mTLS mode with a fresh test PKI: `service-a` may act on the app's tenant,
 * `service-b` only on another one. service-a's certificate and key are also written to
 * `client.crt` / `client.key` in the PKI directory for tools that take files.
 */
export async function startMtlsTestApp(name: string): Promise<{ t: TestApp; pki: TestPki; stop(): Promise<void> }> {
  const pki = await makeTestPki();
  const tenantId = uniquePrefix(name);
  const registry = join(pki.dir, 'callers.yaml');
  writeFileSync(
    registry,
    `version: 1\ncallers:\n  - identity: service-a\n    permitted_tenants: ["${tenantId}"]\n  - identity: service-b\n    permitted_tenants: [somewhere-else]\n`,
  );
  writeFileSync(join(pki.dir, 'client.crt'), pki.clients.serviceA.cert);
  writeFileSync(join(pki.dir, 'client.key'), pki.clients.serviceA.key);
  const t = await startTestApp(mtlsEnv(pki, registry), tenantId);
  return {
    t,
    pki,
    stop: async () => {
      await t.stop();
      await pki.cleanup();
    },
  };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_STARTUP_DEADLINE_MS } from '../../src/app.js';
import { TestClient } from '../support/grpc-client.js';
import { startRedisSentinel, type RedisSentinelTopology } from '../support/redis-topologies.js';
import { runServiceToExit, type ServiceProcess, startService } from '../support/service-process.js';

// Redis and its Sentinels each require a password of their own, as
// deploy/k8s/redis-sentinel.example.yaml sets them up. The service must log in to both,
// and when a password is wrong it must give up within the start-up window with a
// message that names the problem, never the password.

const REDIS_PASSWORD = 'redis-pw-3f9a61d0';
const SENTINEL_PASSWORD = 'sentinel-pw-b27c04e5';
const WRONG_PASSWORD = 'wrong-pw-77e1c9a2';
const API_KEY = 'sentinel-auth-key';
/** Start-up of the process before it connects, and its exit after giving up, on a loaded machine. */
const PROCESS_MARGIN_MS = 20_000;
/** The process's own clock: from its first log line (configuration read) to giving up. */
const WINDOW_MARGIN_MS = 2_000;

let topology: RedisSentinelTopology;
let service: ServiceProcess | undefined;

const env = (overrides: Record<string, string> = {}): Record<string, string> => ({
  TOKEN_ENGINE_ISSUER: 'sentinel-auth',
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=sentinel-caller`,
  TOKEN_ENGINE_STORE: 'redis',
  TOKEN_ENGINE_REDIS_SENTINELS: topology.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
  TOKEN_ENGINE_REDIS_SENTINEL_MASTER: topology.masterName,
  TOKEN_ENGINE_REDIS_PASSWORD: REDIS_PASSWORD,
  TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
  ...overrides,
});

beforeAll(async () => {
  topology = await startRedisSentinel('te-auth', { password: REDIS_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
}, 45_000);

afterAll(async () => {
  await service?.stop();
  await topology?.stop();
});

/** Runs the service to its exit and measures how long it took. */
async function runToExit(vars: Record<string, string>): Promise<{ code: number | null; output: string; elapsedMs: number }> {
  const started = Date.now();
  const result = await runServiceToExit(vars, [], REDIS_STARTUP_DEADLINE_MS + 2 * PROCESS_MARGIN_MS);
  return { ...result, elapsedMs: Date.now() - started };
}

/** The `token-engine failed to start` line. */
function startFailureLine(output: string): { err?: unknown; time?: unknown } {
  const line = output.split('\n').find((l) => l.includes('"token-engine failed to start"'));
  if (line === undefined) throw new Error(`no start failure logged:\n${output}`);
  return JSON.parse(line) as { err?: unknown; time?: unknown };
}

/** The message of the `token-engine failed to start` line. */
function startFailure(output: string): string {
  return String(startFailureLine(output).err);
}

/** Milliseconds from the process's first log line (written once the configuration is read) to its start failure. */
function windowUsed(output: string): number {
  const first = JSON.parse(output.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { time?: unknown };
  return Date.parse(String(startFailureLine(output).time)) - Date.parse(String(first.time));
}

describe('Redis Sentinel with authentication', () => {
  it('logs in to password-protected Sentinels and Redis, and serves', async () => {
    service = await startService(env());
    const client = new TestClient(service.grpcAddress, API_KEY);
    try {
      const pair = await client.ok<{ refresh_token: string }>('IssueToken', { sub: 'alice', tenant_id: 'sentinel-auth' });
      expect(pair.refresh_token).toHaveLength(43);
      await client.ok('RefreshToken', { refresh_token: pair.refresh_token, tenant_id: 'sentinel-auth' });
    } finally {
      client.close();
    }
    expect((await fetch(`${service.httpBase}/healthz/ready`)).status).toBe(200);
    const output = service.output();
    for (const secret of [REDIS_PASSWORD, SENTINEL_PASSWORD]) expect(output).not.toContain(secret);
    expect(await service.stop()).toBe(0);
    service = undefined;
  }, 30_000);

  it(
    'exits 1 within the start-up window, naming the refused credentials, when a password is wrong or missing',
    async () => {
      const [wrongSentinel, noSentinel, wrongRedis] = await Promise.all([
        runToExit(env({ TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD: WRONG_PASSWORD })),
        runToExit(env({ TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD: '' })),
        runToExit(env({ TOKEN_ENGINE_REDIS_PASSWORD: WRONG_PASSWORD })),
      ]);
      for (const run of [wrongSentinel, noSentinel, wrongRedis]) {
        expect(run.code, run.output).toBe(1);
        expect(run.elapsedMs).toBeLessThan(REDIS_STARTUP_DEADLINE_MS + PROCESS_MARGIN_MS);
        expect(windowUsed(run.output)).toBeLessThan(REDIS_STARTUP_DEADLINE_MS + WINDOW_MARGIN_MS);
        expect(startFailure(run.output)).toMatch(/^cannot use Redis after 30 s: /);
        for (const secret of [REDIS_PASSWORD, SENTINEL_PASSWORD, WRONG_PASSWORD]) expect(run.output).not.toContain(secret);
      }
      const sentinelsRefused = 'the Sentinels refused the credentials (check TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD';
      expect(startFailure(wrongSentinel.output)).toContain(sentinelsRefused);
      expect(startFailure(wrongSentinel.output)).toMatch(/: WRONGPASS /);
      expect(startFailure(noSentinel.output)).toContain(sentinelsRefused);
      expect(startFailure(noSentinel.output)).toMatch(/: NOAUTH /);
      expect(startFailure(wrongRedis.output)).toContain('Redis refused the credentials (check TOKEN_ENGINE_REDIS_PASSWORD');
      expect(startFailure(wrongRedis.output)).toMatch(/: WRONGPASS /);
    },
    REDIS_STARTUP_DEADLINE_MS + 3 * PROCESS_MARGIN_MS,
  );
});

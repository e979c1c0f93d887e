/** The image's HEALTHCHECK command follows TOKEN_ENGINE_HTTP_ADDR (no fixed port 8080). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHost } from '../../src/http/probe.js';
import { MAIN, startService, type ServiceProcess } from '../support/service-process.js';

const HEALTHCHECK = join(MAIN, '..', 'healthcheck.js');
const ENV = {
  TOKEN_ENGINE_ISSUER: 'healthcheck',
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
  TOKEN_ENGINE_STORE: 'memory',
};

function healthcheck(env: Record<string, string>): number | null {
  return spawnSync(process.execPath, [HEALTHCHECK], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 10_000 }).status;
}

let service: ServiceProcess;
beforeAll(async () => {
  service = await startService(ENV);
});
afterAll(async () => {
  await service?.stop();
});

describe('dist/healthcheck.js', () => {
  it('exits 0 against the HTTP address the service is configured with', () => {
    const port = new URL(service.httpBase).port;
    expect(healthcheck({ ...ENV, TOKEN_ENGINE_HTTP_ADDR: `:${port}` })).toBe(0);
    expect(healthcheck({ ...ENV, TOKEN_ENGINE_HTTP_ADDR: `127.0.0.1:${port}` })).toBe(0);
  });

  it('exits 1 when nothing answers there, or when the configuration is invalid', () => {
    expect(healthcheck({ ...ENV, TOKEN_ENGINE_HTTP_ADDR: '127.0.0.1:1' })).toBe(1);
    expect(healthcheck({ TOKEN_ENGINE_HTTP_ADDR: new URL(service.httpBase).host })).toBe(1);
  });

  it('reaches "any" listeners on the loopback', () => {
    expect(probeHost('0.0.0.0')).toBe('127.0.0.1');
    expect(probeHost('')).toBe('127.0.0.1');
    expect(probeHost('::')).toBe('[::1]');
    expect(probeHost('10.0.0.5')).toBe('10.0.0.5');
    expect(probeHost('fd00::1')).toBe('[fd00::1]');
  });
});

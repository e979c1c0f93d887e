import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/observability/logger.js';

describe('start-up', () => {
  it('gives up on an unreachable Redis after the retry window with a clear message', async () => {
    const { config } = loadConfig({
      TOKEN_ENGINE_ISSUER: 'startup',
      TOKEN_ENGINE_AUDIENCE: 'api',
      TOKEN_ENGINE_TLS_MODE: 'disabled',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
      TOKEN_ENGINE_REDIS_URL: 'redis://127.0.0.1:1',
    });
    const attempt = buildApp(config, { log: createLogger('silent'), redisStartupDeadlineMs: 1_500 });
    await expect(attempt).rejects.toThrow(/^redis unreachable after 2 s: /);
  });

  it('refuses to start with an unreadable caller registry, naming the path', async () => {
    const { config } = loadConfig({
      TOKEN_ENGINE_ISSUER: 'startup',
      TOKEN_ENGINE_AUDIENCE: 'api',
      TOKEN_ENGINE_TLS_MODE: 'disabled',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
      TOKEN_ENGINE_STORE: 'memory',
      TOKEN_ENGINE_CALLER_REGISTRY_PATH: '/nonexistent/callers.yaml',
    });
    await expect(buildApp(config, { log: createLogger('silent') })).rejects.toThrow(/\/nonexistent\/callers\.yaml/);
  });
});

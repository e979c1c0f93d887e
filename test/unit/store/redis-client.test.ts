import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../../../src/store/redis/client.js';

// How the configured topology and credentials become ioredis options (nothing connects:
// the clients are lazy). Logging in to real password-protected Sentinels is in
// test/e2e/sentinel-auth.test.ts.
describe('createRedisClient', () => {
  const sentinels = [{ host: 's1', port: 26379 }];

  it('gives the Sentinels their own credentials, and Redis its own', () => {
    const client = createRedisClient({
      host: 'ignored',
      port: 6379,
      db: 0,
      tls: false,
      username: 'app',
      password: 'redis-pass',
      sentinels,
      sentinelMaster: 'group',
      sentinelUsername: 'watcher',
      sentinelPassword: 'sentinel-pass',
    }) as Redis;
    expect(client.options).toMatchObject({
      name: 'group',
      username: 'app',
      password: 'redis-pass',
      sentinelUsername: 'watcher',
      sentinelPassword: 'sentinel-pass',
    });
    expect(client.options.enableTLSForSentinelMode).toBeFalsy();
    expect(client.options.sentinelTLS).toBeUndefined();
    client.disconnect();
  });

  it('with rediss, speaks TLS to the master and to the Sentinels', () => {
    const client = createRedisClient({
      host: 'ignored',
      port: 6379,
      db: 0,
      tls: true,
      sentinels,
      sentinelMaster: 'group',
    }) as Redis;
    expect(client.options).toMatchObject({ tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} });
    client.disconnect();
  });
});

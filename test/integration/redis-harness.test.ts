import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrlForTests, uniquePrefix } from '../support/redis.js';

describe('redis test harness', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrlForTests(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('provides a Redis that stores a key with a TTL and deletes it', async () => {
    const key = `${uniquePrefix('redis-harness')}:probe`;

    expect(await redis.set(key, 'hello', 'EX', 60)).toBe('OK');
    expect(await redis.get(key)).toBe('hello');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);

    expect(await redis.del(key)).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });

  it('gives each call of uniquePrefix a different namespace', () => {
    expect(uniquePrefix('same name')).not.toBe(uniquePrefix('same name'));
    expect(uniquePrefix('Some File.test.ts')).toMatch(/^some-file-test-ts-w\d+-[0-9a-f]{8}$/);
  });
});

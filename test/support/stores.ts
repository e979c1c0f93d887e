import { Redis } from 'ioredis';
import { redisUrlForTests } from './redis.js';

/** A Redis connection to the test server, with the service's own fail-fast settings off. */
export function testRedis(): Redis {
  return new Redis(redisUrlForTests(), { maxRetriesPerRequest: 2, lazyConnect: false });
}

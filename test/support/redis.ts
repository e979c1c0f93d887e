import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/**
 * The Redis URL chosen by `redis-global-setup.ts` for this run. Throws in projects that
 * have no Redis (unit), so a misplaced test fails loudly instead of reaching for a default.
 */
export function redisUrlForTests(): string {
  const url = inject('redisUrl');
  if (!url) {
    throw new Error('redisUrl was not provided: Redis tests belong in test/contract, test/integration or test/e2e');
  }
  return url;
}

/**
 * A fresh namespace for one test file, to prefix Redis keys or tenant ids: test files run in
 * parallel against the same Redis and must never see each other's data. Call it once per
 * file (or per test when a test needs a clean slate); each call returns a new value, made of
 * `[a-z0-9-]` only so it is valid wherever an id is.
 */
export function uniquePrefix(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const worker = process.env['VITEST_POOL_ID'] ?? '0';
  return `${slug || 'test'}-w${worker}-${randomBytes(4).toString('hex')}`;
}

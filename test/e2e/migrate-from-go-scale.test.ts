import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goRefreshToken, runMigrateFromGo, writeGoTokens, type GoTokenSpec } from '../support/go-layout.js';
import { uniquePrefix } from '../support/redis.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * How many Go tokens the scale run migrates: 10 000 in `make test`, 100 000 with
 * `make migrate-scale` (MIGRATE_GO_TOKENS=100000).
 */
const TOKENS = Number(process.env['MIGRATE_GO_TOKENS'] ?? 10_000);
const DAY = 24 * 60 * 60 * 1000;
/**
 * The command runs under this V8 old-space cap. Reading the 100 000 Go hashes of the
 * `make migrate-scale` run into memory at once takes 42 MB of heap by itself (measured with
 * a bare ioredis script); with the ~20 MB the service's modules take, that is the cap
 * before a single token is parsed: a command that loaded everything would die of
 * "JavaScript heap out of memory". Reading one SCAN page at a time it stays near 20 MB live.
 * The young generation keeps its usual size (V8 would shrink it with the cap, and then
 * promote every in-flight reply and spend the run collecting).
 */
const HEAP_CAP_MB = 64;
const NODE_OPTIONS = `--max-old-space-size=${HEAP_CAP_MB} --max-semi-space-size=16`;
const KEK = randomBytes(32).toString('base64');

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
}, 30_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

function env(tenantId: string): Record<string, string> {
  return {
    TOKEN_ENGINE_ISSUER: tenantId,
    TOKEN_ENGINE_AUDIENCE: 'go-api',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'scale-key=scale',
    TOKEN_ENGINE_REDIS_URL: server.url,
    TOKEN_ENGINE_KEY_ENCRYPTION_KEY: KEK,
    NODE_OPTIONS,
  };
}

async function writeTenant(tenantId: string, count: number): Promise<void> {
  const now = Date.now();
  const tokens = Array.from({ length: count }, (_, i) => {
    const spec: GoTokenSpec = {
      userId: `user-${i % Math.max(1, Math.floor(count / 10))}`,
      audiences: i % 3 === 0 ? ['api', 'shop'] : ['api'],
      claims: { plan: i % 2 === 0 ? 'pro' : 'free', tenant_group: 'g1' },
      createdAt: now - DAY,
      expiresAt: now + 20 * DAY,
      revoked: i % 50 === 0,
    };
    return { raw: goRefreshToken(), spec };
  });
  await writeGoTokens(redis, tenantId, tokens);
}

describe(`migrate-from-go at scale (${TOKENS} Go tokens)`, () => {
  it('migrates every token under a heap cap below what holding them all takes, then removes the source; prints rate and peak RSS', async () => {
    const tenantId = uniquePrefix('go-scale');
    const writeStarted = Date.now();
    await writeTenant(tenantId, TOKENS);
    const writeMs = Date.now() - writeStarted;

    const run = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId], 600_000);
    expect(run.code, run.stderr).toBe(0);
    const revoked = Math.ceil(TOKENS / 50);
    expect(run.counts).toMatchObject({ tokens_seen: TOKENS, tokens_migrated: TOKENS - revoked, tokens_revoked: revoked });

    const removal = await runMigrateFromGo(env(tenantId), ['--tenant', tenantId, '--remove-source'], 600_000);
    expect(removal.code, removal.stderr).toBe(0);
    expect(removal.counts).toMatchObject({ tokens_seen: TOKENS, tokens_already: TOKENS, source_keys_removed: TOKENS });
    expect(await redis.keys(`${tenantId}*`)).toEqual([]);

    const line = (name: string, c: Record<string, unknown>): string =>
      `${name}: ${String(c['tokens_seen'])} tokens in ${String(c['duration_ms'])} ms = ${String(c['tokens_per_second'])} tokens/s, peak RSS ${String(c['peak_rss_mb'])} MB`;
    process.stdout.write(
      [
        `[migrate-from-go scale] ${TOKENS} Go tokens written in ${writeMs} ms; old-space cap ${HEAP_CAP_MB} MB`,
        `[migrate-from-go scale] ${line('migrate', run.counts)}`,
        `[migrate-from-go scale] ${line('migrate --remove-source', removal.counts)}`,
        '',
      ].join('\n'),
    );
  }, 900_000);
});

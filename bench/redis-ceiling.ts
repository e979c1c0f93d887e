// The Redis ceiling: the service's own scripts through its own store, 64 in flight, one
// connection. "issue" = the IssueToken script; "refresh" = present + rotate; "validate" =
// the revocation state of one access token (ValidateToken's one round trip); "exchange" =
// the look-up of one API key (ExchangeApiKey's one round trip).
// Usage: node dist/bench/bench/redis-ceiling.js <redisUrl> <issue|refresh|validate|exchange> <durationMs>
import { Redis } from 'ioredis';
import { RedisApiKeyStore } from '../src/apikeys/redis-store.js';
import { newKeyId } from '../src/apikeys/secret.js';
import type { NewTokenFamily } from '../src/store/ports.js';
import { RedisTokenStore } from '../src/store/redis/token-store.js';
import { mintRefreshToken, newFamilyId } from '../src/tokens/refresh-token.js';

/** The JSON line printed at the end. */
export interface RedisCeilingResult {
  readonly mode: string;
  readonly rps: number;
}

const [url = 'redis://127.0.0.1:6379', mode = 'issue', durationArg = '3000'] = process.argv.slice(2);
const redis = new Redis(url, { enableAutoPipelining: true });
const store = new RedisTokenStore(redis);
const policy = { tenantId: `bench-redis-${process.pid}`, revocationRetentionMs: 3_600_000 };
const token = (subject: string): NewTokenFamily => {
  const t = mintRefreshToken();
  const now = Date.now();
  return {
    digest: t.digest,
    familyId: newFamilyId(),
    subject,
    audiences: ['api'],
    claims: { role: 'reader' },
    issuedAt: now,
    expiresAt: now + 3_600_000,
  };
};
// Refresh: tokens are seeded first (not timed), then each is presented and rotated once.
const seeded: NewTokenFamily[] = [];
if (mode === 'refresh') {
  for (let i = 0; i < 30_000; i += 500) {
    const batch = Array.from({ length: 500 }, () => token('u'));
    await Promise.all(batch.map((t) => store.issue(policy, t)));
    seeded.push(...batch);
  }
}
// Exchange: a few hundred keys are created first (not timed), then looked up in turn.
const apiKeys = new RedisApiKeyStore(redis);
const keyIds: string[] = [];
if (mode === 'exchange') {
  for (let i = 0; i < 256; i += 1) {
    const keyId = newKeyId();
    const now = Date.now();
    const key = {
      keyId,
      owner: `bench-${i}`,
      name: 'bench',
      claims: { role: 'reader' },
      audiences: ['api'],
      createdAt: now,
      expiresAt: 0,
    };
    const audit = { callerIdentity: 'bench', tokenRef: '', target: keyId, scope: 'api_key_create' as const, occurredAt: now };
    await apiKeys.create(policy, { ...key, digest: 'x'.repeat(43) }, 100, audit);
    keyIds.push(keyId);
  }
}
let cursor = 0;
let validated = 0;
let exchanged = 0;
const op =
  mode === 'exchange'
    ? () => apiKeys.lookup(policy, keyIds[exchanged++ % keyIds.length] ?? '', Date.now())
    : mode === 'issue'
      ? () => store.issue(policy, token('u'))
      : mode === 'validate'
        ? () =>
            store.revocationState(policy, {
              familyId: newFamilyId(),
              subject: `bench-validate-${validated++ % 256}`,
              audiences: ['api'],
            })
        : async () => {
            const presented = seeded[cursor++];
            if (!presented) return;
            await store.presentForRotation(policy, presented.digest, Date.now());
            await store.rotate(policy, presented.digest, token('u'), Date.now());
          };
for (let i = 0; i < 500; i++) await op();
let count = 0;
const deadline = Date.now() + Number(durationArg);
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (Date.now() < deadline && (mode !== 'refresh' || cursor < seeded.length)) {
      await op();
      count++;
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
redis.disconnect();
const result: RedisCeilingResult = { mode, rps: count / seconds };
console.log(JSON.stringify(result));

// The Redis ceiling: the service's own store and Lua scripts (EVALSHA through defineScript)
// against one Redis, no service in the way, `connections` auto-pipelined connections with
// 64 calls in flight on each. Modes: "issue" = the ISSUE script; "refresh" = PRESENT +
// ROTATE (two scripts); "validate" = the revocation state of one access token
// (ValidateToken's one MGET); "revoke-token" = REVOKE_TOKEN; "revoke-user" =
// REVOKE_WATERMARK; "exchange" = the look-up of one API key (ExchangeApiKey's one round
// trip). Prints {"phase":"timed"} when the timed phase starts (after seeding
// and a warm-up), so an orchestrator can read Redis's counters there, then one JSON line.
// Usage: node dist/bench/bench/redis-ceiling.js <redisUrl> <mode> <durationMs> [connections]
import { Redis } from 'ioredis';
import { RedisApiKeyStore } from '../src/apikeys/redis-store.js';
import { newKeyId } from '../src/apikeys/secret.js';
import type { NewTokenFamily, RevocationAudit } from '../src/store/ports.js';
import { RedisTokenStore } from '../src/store/redis/token-store.js';
import { mintRefreshToken, newFamilyId } from '../src/tokens/refresh-token.js';

/** The JSON line printed at the end. */
export interface RedisCeilingResult {
  readonly mode: string;
  readonly connections: number;
  readonly calls: number;
  readonly seconds: number;
  readonly rps: number;
}

const [url = 'redis://127.0.0.1:6379', mode = 'issue', durationArg = '3000', connectionsArg = '1'] = process.argv.slice(2);
const IN_FLIGHT_PER_CONNECTION = 64;
const connections = Math.max(1, Number(connectionsArg));
const clients = Array.from({ length: connections }, () => new Redis(url, { enableAutoPipelining: true }));
const stores = clients.map((c) => new RedisTokenStore(c));
// The product's default cap on live families per user (TOKEN_ENGINE_MAX_FAMILIES_PER_USER).
const policy = { tenantId: `bench-redis-${process.pid}`, revocationRetentionMs: 3_600_000, maxFamiliesPerUser: 100 };
// The same subject, audience and claims shape the load generator's IssueToken sends.
const token = (subject: string): NewTokenFamily => {
  const t = mintRefreshToken();
  const now = Date.now();
  return {
    digest: t.digest,
    familyId: newFamilyId(),
    subject,
    audiences: ['bench-api'],
    claims: { role: 'reader', org: 'bench' },
    issuedAt: now,
    expiresAt: now + 3_600_000,
  };
};
const audit = (target: string): RevocationAudit => ({
  callerIdentity: 'bench',
  tokenRef: '0123456789abcdef',
  target,
  scope: 'user',
  occurredAt: Date.now(),
});
const storeFor = (i: number): RedisTokenStore => stores[i % stores.length] as RedisTokenStore;

// Refresh and revoke-token need one fresh token per call: seeded first (not timed).
const seeded: NewTokenFamily[] = [];
if (mode === 'refresh' || mode === 'revoke-token') {
  const count = Number(process.env['REDIS_CEILING_SEED'] ?? 60_000);
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: 1000 }, (_, j) => token(`bench-user-${(i + j) % 1000}`));
    await Promise.all(batch.map((t, j) => storeFor(j).issue(policy, t)));
    seeded.push(...batch);
  }
}
// Exchange: a few hundred keys are created first (not timed), then looked up in turn.
const apiKeys = clients.map((c) => new RedisApiKeyStore(c));
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
      audiences: ['bench-api'],
      createdAt: now,
      expiresAt: 0,
    };
    const created = { callerIdentity: 'bench', tokenRef: '', target: keyId, scope: 'api_key_create' as const, occurredAt: now };
    await apiKeys[0]?.create(policy, { ...key, digest: 'x'.repeat(43) }, 100, created);
    keyIds.push(keyId);
  }
}
let cursor = 0;
let n = 0;
const op = async (worker: number): Promise<boolean> => {
  const store = storeFor(worker);
  const i = n++;
  switch (mode) {
    case 'issue':
      await store.issue(policy, token(`bench-user-${i % 1000}`));
      return true;
    case 'validate':
      await store.revocationState(policy, {
        familyId: newFamilyId(),
        subject: `bench-validate-${i % 256}`,
        audiences: ['bench-api'],
      });
      return true;
    case 'refresh': {
      const presented = seeded[cursor++];
      if (!presented) return false;
      const outcome = await store.presentForRotation(policy, presented.digest, Date.now());
      if (outcome.kind !== 'active') throw new Error(`refresh: presented token is ${outcome.kind}`);
      const next = token(presented.subject);
      await store.rotate(policy, presented.digest, next, Date.now(), outcome.sequence);
      return true;
    }
    case 'revoke-token': {
      const presented = seeded[cursor++];
      if (!presented) return false;
      await store.revokeToken(policy, presented.digest, { ...audit(presented.subject), scope: 'token' });
      return true;
    }
    case 'revoke-user':
      await store.revokeUser(policy, `bench-user-${i % 1000}`, audit(`bench-user-${i % 1000}`));
      return true;
    case 'exchange':
      await apiKeys[worker % apiKeys.length]?.lookup(policy, keyIds[i % keyIds.length] ?? '', Date.now());
      return true;
    default:
      throw new Error(`unknown mode ${mode}: issue, refresh, validate, revoke-token, revoke-user or exchange`);
  }
};
for (let i = 0; i < 500; i++) await op(i);

console.log(JSON.stringify({ phase: 'timed' }));
let calls = 0;
const deadline = Date.now() + Number(durationArg);
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: IN_FLIGHT_PER_CONNECTION * connections }, async (_, worker) => {
    while (Date.now() < deadline && (await op(worker))) calls++;
  }),
);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
for (const c of clients) c.disconnect();
const result: RedisCeilingResult = { mode, connections, calls, seconds, rps: calls / seconds };
console.log(JSON.stringify(result));

import type { IdempotencyClaim, IdempotencyStore } from '../ports.js';
import type { RedisClient } from './client.js';
import { defineScript, integerReply, stringsReply } from './define-script.js';
import { idempotencyKey } from './keys.js';
import { IDEMPOTENCY_CLAIM, IDEMPOTENCY_COMPLETE, IDEMPOTENCY_RELEASE } from './scripts.js';

const claimScript = defineScript({
  name: 'idempotency_claim',
  keys: 1,
  lua: IDEMPOTENCY_CLAIM,
  reply: (raw): IdempotencyClaim => {
    const [kind, record] = stringsReply('idempotency_claim')(raw);
    if (kind === 'completed') return { kind, record: record ?? '' };
    if (kind === 'claimed' || kind === 'pending') return { kind };
    throw new Error(`unexpected idempotency script reply: ${String(kind)}`);
  },
});

const completeScript = defineScript({
  name: 'idempotency_complete',
  keys: 1,
  lua: IDEMPOTENCY_COMPLETE,
  reply: (raw) => integerReply('idempotency_complete')(raw) === 1,
});

const releaseScript = defineScript({
  name: 'idempotency_release',
  keys: 1,
  lua: IDEMPOTENCY_RELEASE,
  reply: integerReply('idempotency_release'),
});

/** Idempotency records in Redis: one script call per step. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(private readonly redis: RedisClient) {}

  claim(id: string, owner: string, ttlMs: number): Promise<IdempotencyClaim> {
    return claimScript(this.redis, [idempotencyKey(id)], [owner, ttlMs]);
  }

  complete(id: string, owner: string, record: string, ttlMs: number): Promise<boolean> {
    return completeScript(this.redis, [idempotencyKey(id)], [owner, record, ttlMs]);
  }

  async release(id: string, owner: string): Promise<void> {
    await releaseScript(this.redis, [idempotencyKey(id)], [owner]);
  }
}

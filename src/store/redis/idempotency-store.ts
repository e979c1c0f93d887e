import type { IdempotencyClaim, IdempotencyStore } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { idempotencyKey } from './keys.js';
import { IDEMPOTENCY_CLAIM, IDEMPOTENCY_COMPLETE, IDEMPOTENCY_RELEASE } from './scripts.js';

type Runner = (...args: (string | number)[]) => Promise<unknown>;

/** Idempotency records in Redis: one script call per step. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(private readonly redis: RedisClient) {
    const scripts = { teIdemClaim: IDEMPOTENCY_CLAIM, teIdemComplete: IDEMPOTENCY_COMPLETE, teIdemRelease: IDEMPOTENCY_RELEASE };
    for (const [name, lua] of Object.entries(scripts)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
  }

  async claim(id: string, owner: string, ttlMs: number): Promise<IdempotencyClaim> {
    const [kind, record] = (await this.run('teIdemClaim', idempotencyKey(id), owner, ttlMs)) as [string, string?];
    if (kind === 'completed') return { kind, record: record ?? '' };
    if (kind === 'claimed' || kind === 'pending') return { kind };
    throw new Error(`unexpected idempotency script reply: ${kind}`);
  }

  async complete(id: string, owner: string, record: string, ttlMs: number): Promise<boolean> {
    return (await this.run('teIdemComplete', idempotencyKey(id), owner, record, ttlMs)) === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.run('teIdemRelease', idempotencyKey(id), owner);
  }

  private run(name: string, ...args: (string | number)[]): Promise<unknown> {
    const runner = (this.redis as unknown as Record<string, Runner>)[name];
    if (!runner) throw new Error(`script ${name} is not defined`);
    return guarded(() => runner.apply(this.redis, args));
  }
}

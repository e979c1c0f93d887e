import type { Clock } from '../../clock.js';
import { MemoryApiKeyStore } from '../../apikeys/memory-store.js';
import type { Stores } from '../ports.js';
import { MemoryDpopReplayStore } from './dpop-replay-store.js';
import { MemoryRevocationEventLog } from './event-log.js';
import { MemoryIdempotencyStore } from './idempotency-store.js';
import { MemoryLockStore } from './lock-store.js';
import { MemoryMaintenanceStore } from './maintenance-store.js';
import { MemoryRateLimitStore } from './rate-limit-store.js';
import { MemorySigningKeyStore } from './signing-key-store.js';
import { MemoryTokenStore } from './token-store.js';

/** The embedded single-process stores (`TOKEN_ENGINE_STORE=memory`). */
export function createMemoryStores(clock: Clock): Stores {
  const events = new MemoryRevocationEventLog(clock);
  const tokens = new MemoryTokenStore(clock, events);
  const idempotency = new MemoryIdempotencyStore(clock);
  const locks = new MemoryLockStore(clock);
  const rateLimits = new MemoryRateLimitStore(clock);
  return {
    tokens,
    apiKeys: new MemoryApiKeyStore(clock, tokens),
    events,
    signingKeys: new MemorySigningKeyStore(),
    idempotency,
    locks,
    rateLimits,
    dpopReplay: new MemoryDpopReplayStore(clock),
    maintenance: new MemoryMaintenanceStore(tokens, idempotency, locks, rateLimits),
    health: { ping: async () => undefined },
    close: async () => undefined,
  };
}

import type { Clock } from '../../clock.js';
import type { Stores } from '../ports.js';
import { MemoryIdempotencyStore } from './idempotency-store.js';
import { MemoryLockStore } from './lock-store.js';
import { MemorySigningKeyStore } from './signing-key-store.js';
import { MemoryTokenStore } from './token-store.js';

/** The embedded single-process stores (`TOKEN_ENGINE_STORE=memory`). */
export function createMemoryStores(clock: Clock): Stores {
  return {
    tokens: new MemoryTokenStore(clock),
    signingKeys: new MemorySigningKeyStore(),
    idempotency: new MemoryIdempotencyStore(clock),
    locks: new MemoryLockStore(clock),
    health: { ping: async () => undefined },
    close: async () => undefined,
  };
}

import { ManualClock } from '../../src/clock.js';
import { MemoryIdempotencyStore } from '../../src/store/memory/idempotency-store.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';

idempotencyStoreContract('memory', () => {
  const clock = new ManualClock(Date.now());
  return { store: new MemoryIdempotencyStore(clock), expire: async (ms) => clock.advance(ms) };
});

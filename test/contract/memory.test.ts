import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/clock.js';
import { MemoryTokenStore } from '../../src/store/memory/token-store.js';
import { tokenStoreContract } from './token-store.contract.js';

tokenStoreContract(
  'memory',
  () => {
    const clock = new ManualClock(Date.now());
    return { store: new MemoryTokenStore(clock), now: () => clock.now() };
  },
  () => `tenant-${randomUUID()}`,
);

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createMemoryStores } from '../../src/store/memory/index.js';
import type { MemoryIdempotencyStore } from '../../src/store/memory/idempotency-store.js';
import type { MemoryTokenStore } from '../../src/store/memory/token-store.js';
import { mintRefreshToken, newFamilyId } from '../../src/tokens/refresh-token.js';
import { maintenanceStoreContract } from './maintenance-store.contract.js';

maintenanceStoreContract(
  'memory',
  () => {
    const clock = new ManualClock(Date.now());
    const stores = createMemoryStores(clock);
    return { tokens: stores.tokens, maintenance: stores.maintenance, now: () => clock.now() };
  },
  () => `tenant-${randomUUID()}`,
);

describe('MaintenanceStore: memory', () => {
  it('sweeps what has expired: tokens, markers, watermarks, idempotency records, leases', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const stores = createMemoryStores(clock);
    const tokens = stores.tokens as MemoryTokenStore;
    const policy = { tenantId: 'sweep', revocationRetentionMs: 60_000 };
    const audit = { callerIdentity: 'c', tokenRef: '', target: '', scope: 'user' as const, occurredAt: clock.now() };
    for (let i = 0; i < 10; i++) {
      const t = mintRefreshToken();
      await tokens.issue(policy, {
        digest: t.digest,
        familyId: newFamilyId(),
        subject: `u${i}`,
        audiences: ['api'],
        claims: {},
        issuedAt: clock.now(),
        expiresAt: clock.now() + 30_000,
      });
    }
    await tokens.revokeUser(policy, 'u1', { ...audit, target: 'u1' });
    await stores.idempotency.claim('record', 'owner', 10_000);
    await stores.locks.acquire('job', 10_000);

    expect(await stores.maintenance.reconcile(policy)).toMatchObject({ examined: 11, fixed: 0, complete: true });
    clock.advance(60_000);
    expect(await stores.maintenance.reconcile(policy)).toEqual({
      examined: 11,
      fixed: 13,
      unknown: 0,
      auditTrimmed: 0,
      complete: true,
    });
    expect(tokens.size()).toBe(0);
    expect((stores.idempotency as MemoryIdempotencyStore).size()).toBe(0);
    expect(await stores.locks.acquire('job', 10_000)).toBeTypeOf('string');
    // The audit trail is bounded on append, not swept.
    expect(await tokens.recentAudit('sweep', 10)).toHaveLength(1);
  });
});

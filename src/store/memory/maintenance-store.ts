import type { MaintenanceStore, ReconcileReport, TenantStorePolicy } from '../ports.js';
import type { MemoryIdempotencyStore } from './idempotency-store.js';
import type { MemoryLockStore } from './lock-store.js';
import type { MemoryRateLimitStore } from './rate-limit-store.js';
import type { MemoryTokenStore } from './token-store.js';

/**
 * The reconciler's side of the embedded store. Entries cannot lack an expiry here, so a
 * pass sweeps what has expired: the tenant's tokens, markers and watermarks, its
 * revocation events past their retention, and the process-wide idempotency records, lapsed
 * leases and full rate-limit budgets. The audit list is bounded on append.
 */
export class MemoryMaintenanceStore implements MaintenanceStore {
  constructor(
    private readonly tokens: MemoryTokenStore,
    private readonly idempotency: MemoryIdempotencyStore,
    private readonly locks: MemoryLockStore,
    private readonly rateLimits: MemoryRateLimitStore,
  ) {}

  async reconcile(policy: TenantStorePolicy): Promise<ReconcileReport> {
    const { examined, removed } = this.tokens.sweepTenant(policy.tenantId);
    this.tokens.events.prune(policy);
    const shared = this.idempotency.sweep() + this.locks.sweep() + this.rateLimits.sweep();
    return { examined, fixed: removed + shared, unknown: 0, auditTrimmed: 0, complete: true };
  }
}

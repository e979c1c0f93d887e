import type { Logger } from '../observability/logger.js';
import { RECONCILER_OUTCOMES, type Metrics } from '../observability/metrics.js';
import type { LockStore, MaintenanceStore, ReconcileReport, TenantStorePolicy } from '../store/ports.js';
import type { TenantRegistry } from '../tenancy/tenants.js';

/** The longest gap between two looks at the clock; the interval itself may be far longer. */
export const RECONCILER_TICK_MS = 5_000;

/** What a run did for one tenant. */
export type ReconcilerRun =
  | { readonly tenantId: string; readonly outcome: 'success'; readonly report: ReconcileReport }
  | { readonly tenantId: string; readonly outcome: 'skipped' | 'error' };

export interface ReconcilerDeps {
  readonly tenants: TenantRegistry;
  readonly store: MaintenanceStore;
  readonly locks: LockStore;
  readonly log: Logger;
  readonly metrics: Pick<Metrics, 'reconcilerRuns' | 'reconcilerFixedKeys'>;
  readonly now: () => number;
  /** TOKEN_ENGINE_RECONCILIATION_INTERVAL. */
  readonly intervalMs: number;
}

/**
 * Every interval, one replica per tenant reconciles the tenant's stored data
 * (MaintenanceStore.reconcile: expiries restored, audit trimmed, expired entries swept).
 *
 * Which replica: the one that takes the tenant's lease `reconciler:<tenant>`, held for
 * one interval and not released after a successful run, so across the fleet the work is
 * done about once per interval whatever the number of replicas. A replica that finds the
 * lease taken counts that as done (`skipped`): the work is someone else's this interval.
 * A failed or interrupted run gives the lease back so another replica can try.
 *
 * Like the key scheduler, it is a short tick comparing timestamps, never one long timer:
 * intervals beyond Node's 24.8-day timer limit work, and a controllable clock drives it
 * in tests.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcilerRun[]> | undefined;
  private readonly stopping = new AbortController();
  /** When the last run started (due again one interval later). */
  private lastStartedAt: number;
  /** When the last run ended with no tenant in error; the process start until then. */
  lastCompletedAt: number;

  constructor(private readonly deps: ReconcilerDeps) {
    this.lastStartedAt = deps.now();
    this.lastCompletedAt = this.lastStartedAt;
    for (const outcome of RECONCILER_OUTCOMES) deps.metrics.reconcilerRuns.inc({ outcome }, 0);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.min(this.deps.intervalMs, RECONCILER_TICK_MS));
    this.timer.unref();
  }

  /** Runs when an interval has passed since the last run started; otherwise does nothing. */
  async tick(): Promise<void> {
    if (this.running) {
      await this.running;
      return;
    }
    if (this.deps.now() - this.lastStartedAt < this.deps.intervalMs) return;
    await this.run();
  }

  /** One run over every tenant now (never two at once: a second call joins the first). */
  run(): Promise<ReconcilerRun[]> {
    this.running ??= this.runAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Readiness check `reconciler`: a run completed within the last two intervals. */
  async check(): Promise<void> {
    const age = this.deps.now() - this.lastCompletedAt;
    if (age > 2 * this.deps.intervalMs) {
      throw new Error(
        `no reconciler run completed for ${Math.round(age / 1000)} s (interval ${Math.round(this.deps.intervalMs / 1000)} s)`,
      );
    }
  }

  /** Stops the tick; a run in progress stops at its next page and gives its lease back. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private async runAll(): Promise<ReconcilerRun[]> {
    this.lastStartedAt = this.deps.now();
    const runs: ReconcilerRun[] = [];
    for (const tenant of this.deps.tenants.all()) {
      if (this.stopping.signal.aborted) break;
      const run = await this.runTenant(tenant.storePolicy);
      this.deps.metrics.reconcilerRuns.inc({ outcome: run.outcome });
      runs.push(run);
    }
    if (!this.stopping.signal.aborted && runs.every((r) => r.outcome !== 'error')) this.lastCompletedAt = this.deps.now();
    return runs;
  }

  private async runTenant(policy: TenantStorePolicy): Promise<ReconcilerRun> {
    const { tenantId } = policy;
    const lease = `reconciler:${tenantId}`;
    let owner: string | undefined;
    try {
      owner = await this.deps.locks.acquire(lease, this.deps.intervalMs);
      if (!owner) return { tenantId, outcome: 'skipped' };
      const report = await this.deps.store.reconcile(policy, this.stopping.signal);
      this.deps.metrics.reconcilerFixedKeys.inc(report.fixed);
      const fields = { tenant_id: tenantId, ...report };
      if (report.unknown > 0) this.deps.log.warn(fields, 'reconciler found keys without an expiry that it does not manage');
      else if (report.fixed > 0) this.deps.log.info(fields, 'reconciler fixed stored data');
      else this.deps.log.debug(fields, 'reconciler run');
      // An interrupted run is not this interval's work done: let another replica do it.
      if (!report.complete && this.stopping.signal.aborted) await this.deps.locks.release(lease, owner);
      return { tenantId, outcome: 'success', report };
    } catch (err) {
      const cause = (err as Error).cause ?? err;
      this.deps.log.warn(
        { tenant_id: tenantId, err: cause instanceof Error ? cause.message : String(cause) },
        'reconciler run failed; will retry',
      );
      if (owner) await this.deps.locks.release(lease, owner).catch(() => undefined);
      return { tenantId, outcome: 'error' };
    }
  }
}

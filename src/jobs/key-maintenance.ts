import type { Logger } from '../observability/logger.js';
import type { TenantRegistry } from '../tenancy/tenants.js';

/** How often each replica re-reads the shared keys and checks whether a rotation is due. */
export const KEY_SYNC_INTERVAL_MS = 5_000;

/**
 * The key-rotation scheduler: a short periodic tick instead of one long timer, so
 * intervals beyond Node's 24.8-day timer limit work, and replicas pick up keys rotated by
 * another within a tick. The tick never overlaps itself.
 */
export class KeyMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** When the last tick finished, for readiness. */
  lastRunAt = 0;

  constructor(
    private readonly tenants: TenantRegistry,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly intervalMs = KEY_SYNC_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass over every tenant; errors are logged, and the next tick tries again. */
  tick(): Promise<void> {
    this.running ??= (async () => {
      for (const tenant of this.tenants.all()) {
        try {
          await tenant.keys.maintain();
        } catch (err) {
          this.log.warn({ tenant_id: tenant.id, err: (err as Error).message }, 'key maintenance failed; will retry');
        }
      }
      this.lastRunAt = this.now();
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

import { Cluster, type Redis } from 'ioredis';
import { eventRetentionOf, type MaintenanceStore, type ReconcileReport, type TenantStorePolicy } from '../ports.js';
import { AUDIT_RECORDS_PER_TENANT } from '../audit-limit.js';
import { guarded, type RedisClient } from './client.js';
import { defineScript, unexpectedReply } from './define-script.js';
import { API_KEY_KIND, TenantKeys, TOKEN_KEY_KINDS } from './keys.js';
import { RECONCILE_KEYS } from './scripts.js';

/** Keys asked for per SCAN call: one page, fixed by one script call. */
export const RECONCILE_SCAN_COUNT = 500;
/**
 * SCAN calls per tenant per pass (with the default page, about 10^5 key slots looked at).
 * A bigger key space is covered over several passes: the cursor is kept between them.
 */
export const RECONCILE_MAX_PAGES = 200;

/** One SCAN page of one tenant's keys (a page has any number of keys). */
const reconcileKeysScript = defineScript({
  name: 'reconcile_keys',
  keys: 'any',
  lua: RECONCILE_KEYS,
  reply: (raw): { fixed: number; unknown: number } => {
    if (!Array.isArray(raw)) throw unexpectedReply('reconcile_keys', raw);
    const [fixed, unknown]: unknown[] = raw;
    if (typeof fixed !== 'number' || typeof unknown !== 'number') throw unexpectedReply('reconcile_keys', raw);
    return { fixed, unknown };
  },
});

/**
 * The reconciler's side of the Redis store. Token data always gets its expiry in the
 * script that writes it, so what this finds is the exception (a key written by hand, by
 * an older version, or left by a script that failed half-way: Redis does not roll back
 * a script's earlier writes): it walks the tenant's keys with a bounded SCAN, gives such
 * keys an expiry, and trims the audit stream.
 */
export class RedisMaintenanceStore implements MaintenanceStore {
  /** Where the last pass stopped, per tenant and per node (`host:port`). */
  private readonly cursors = new Map<string, Map<string, string>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
    private readonly maxPages = RECONCILE_MAX_PAGES,
  ) {}

  async reconcile(policy: TenantStorePolicy, signal?: AbortSignal): Promise<ReconcileReport> {
    const keys = new TenantKeys(policy.tenantId);
    const pattern = keys.pattern();
    const singletons = [keys.sequence(), keys.signingKeys(), keys.audit()];
    const saved = this.cursors.get(policy.tenantId) ?? new Map<string, string>();
    this.cursors.set(policy.tenantId, saved);
    let examined = 0;
    let fixed = 0;
    let unknown = 0;
    let pages = 0;
    let complete = true;

    // A tenant's keys share one hash tag, so on a Cluster they are all on one master; the
    // others answer an empty page (at once on Redis 7.4+, which walks only the tag's slot).
    for (const node of this.scanTargets()) {
      const id = `${node.options.host ?? ''}:${node.options.port ?? ''}`;
      let cursor = saved.get(id) ?? '0';
      let started = false;
      while (!started || cursor !== '0') {
        if (pages >= this.maxPages || signal?.aborted) {
          complete = false;
          break;
        }
        started = true;
        const [next, found] = await guarded(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', RECONCILE_SCAN_COUNT));
        pages += 1;
        cursor = next;
        if (found.length === 0) continue;
        examined += found.length;
        const page = await this.fix(found, keys, policy, singletons);
        fixed += page.fixed;
        unknown += page.unknown;
      }
      if (cursor === '0' && started) saved.delete(id);
      else saved.set(id, cursor);
    }

    const auditTrimmed = await guarded(() => this.redis.xtrim(keys.audit(), 'MAXLEN', '~', AUDIT_RECORDS_PER_TENANT));
    return { examined, fixed, unknown, auditTrimmed, complete };
  }

  private scanTargets(): Redis[] {
    return this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
  }

  private fix(
    found: string[],
    keys: TenantKeys,
    policy: TenantStorePolicy,
    singletons: string[],
  ): Promise<{ fixed: number; unknown: number }> {
    return reconcileKeysScript(this.redis, found, [
      keys.prefix,
      this.now(),
      policy.revocationRetentionMs,
      TOKEN_KEY_KINDS.record,
      TOKEN_KEY_KINDS.familyMarker,
      TOKEN_KEY_KINDS.watermark,
      ...singletons,
      keys.events(),
      eventRetentionOf(policy),
      API_KEY_KIND,
    ]);
  }
}

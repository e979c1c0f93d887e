import type { Clock } from '../../clock.js';
import type {
  NewRefreshToken,
  NewTokenFamily,
  PresentOutcome,
  RevocationAudit,
  RotateOutcome,
  TenantStorePolicy,
  TokenStore,
} from '../ports.js';

/** Audit records kept per tenant. */
export const MEMORY_AUDIT_LIMIT = 10_000;
/** Expired entries are swept after this many writes, so memory follows live tokens. */
const SWEEP_EVERY_WRITES = 1_024;

interface Expiring {
  expiresAt: number;
}
interface TokenEntry extends Expiring {
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  readonly familyId: string;
  readonly sequence: number;
  state: 'active' | 'consumed' | 'revoked';
}
interface Marker extends Expiring {
  readonly value: number;
}

class TenantData {
  sequence = 0;
  readonly tokens = new Map<string, TokenEntry>();
  readonly revokedFamilies = new Map<string, Marker>();
  /** Watermarks by a collision-free composite key (JSON of the id tuple). */
  readonly watermarks = new Map<string, Marker>();
  readonly audit: RevocationAudit[] = [];
}

/**
 * The embedded single-process store: the same semantics as the Redis scripts, with
 * JavaScript's run-to-completion standing in for script atomicity.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly tenants = new Map<string, TenantData>();
  private writes = 0;

  constructor(private readonly clock: Clock) {}

  async issue(policy: TenantStorePolicy, token: NewTokenFamily): Promise<void> {
    const t = this.tenant(policy.tenantId);
    this.store(t, token, token.familyId);
  }

  async present(policy: TenantStorePolicy, digest: string, now: number): Promise<PresentOutcome> {
    const t = this.tenant(policy.tenantId);
    const entry = this.check(t, policy, digest, now);
    if (entry.kind !== 'active') return entry;
    const { subject, audiences, claims } = entry.token;
    return { kind: 'active', token: { subject, audiences, claims } };
  }

  async rotate(policy: TenantStorePolicy, presentedDigest: string, next: NewRefreshToken, now: number): Promise<RotateOutcome> {
    const t = this.tenant(policy.tenantId);
    const entry = this.check(t, policy, presentedDigest, now);
    if (entry.kind !== 'active') return entry;
    entry.token.state = 'consumed';
    this.store(t, { ...next, subject: entry.token.subject, audiences: entry.token.audiences }, entry.token.familyId);
    return { kind: 'rotated' };
  }

  async revokeToken(policy: TenantStorePolicy, digest: string, audit: RevocationAudit): Promise<void> {
    const t = this.tenant(policy.tenantId);
    const entry = this.live(t.tokens, digest, this.clock.now());
    if (entry) {
      entry.state = 'revoked';
      this.revokeFamily(t, policy, entry.familyId);
    }
    this.record(t, audit);
  }

  async revokeUser(policy: TenantStorePolicy, userId: string, audit: RevocationAudit): Promise<void> {
    this.setWatermark(policy, ['u', userId], audit);
  }

  async revokeAudience(policy: TenantStorePolicy, audience: string, audit: RevocationAudit): Promise<void> {
    this.setWatermark(policy, ['a', audience], audit);
  }

  async revokeUserAudience(policy: TenantStorePolicy, userId: string, audience: string, audit: RevocationAudit): Promise<void> {
    this.setWatermark(policy, ['ua', userId, audience], audit);
  }

  async recentAudit(tenantId: string, count: number): Promise<RevocationAudit[]> {
    return this.tenant(tenantId).audit.slice(-count);
  }

  /**
   * Drops the tenant's expired tokens, markers and watermarks (the reconciler; writes
   * also sweep every store-wide {@link SWEEP_EVERY_WRITES}). Returns what it looked at
   * and removed.
   */
  sweepTenant(tenantId: string, now = this.clock.now()): { examined: number; removed: number } {
    const t = this.tenants.get(tenantId);
    if (!t) return { examined: 0, removed: 0 };
    let examined = 0;
    let removed = 0;
    for (const map of [t.tokens, t.revokedFamilies, t.watermarks] as Map<string, Expiring>[]) {
      examined += map.size;
      for (const [key, value] of map) {
        if (value.expiresAt > now) continue;
        map.delete(key);
        removed += 1;
      }
    }
    return { examined, removed };
  }

  /** Number of live entries of every kind, for tests of bounded memory. */
  size(now = this.clock.now()): number {
    this.sweep(now);
    let n = 0;
    for (const t of this.tenants.values()) n += t.tokens.size + t.revokedFamilies.size + t.watermarks.size;
    return n;
  }

  private check(
    t: TenantData,
    policy: TenantStorePolicy,
    digest: string,
    now: number,
  ): { kind: 'active'; token: TokenEntry } | { kind: 'not_found' | 'revoked' | 'reused' } {
    const entry = this.live(t.tokens, digest, now);
    if (!entry) return { kind: 'not_found' };
    if (entry.state === 'consumed') {
      this.revokeFamily(t, policy, entry.familyId);
      return { kind: 'reused' };
    }
    if (entry.state === 'revoked' || this.isRevoked(t, entry, now)) return { kind: 'revoked' };
    return { kind: 'active', token: entry };
  }

  private isRevoked(t: TenantData, entry: TokenEntry, now: number): boolean {
    if (this.live(t.revokedFamilies, entry.familyId, now)) return true;
    const applies = [['u', entry.subject]];
    for (const audience of entry.audiences) applies.push(['a', audience], ['ua', entry.subject, audience]);
    return applies.some((ids) => {
      const mark = this.live(t.watermarks, JSON.stringify(ids), now);
      return mark !== undefined && entry.sequence <= mark.value;
    });
  }

  private store(t: TenantData, token: NewRefreshToken, familyId: string): void {
    t.sequence += 1;
    t.tokens.set(token.digest, {
      subject: token.subject,
      audiences: [...token.audiences],
      claims: { ...token.claims },
      familyId,
      sequence: t.sequence,
      expiresAt: token.expiresAt,
      state: 'active',
    });
    this.wrote();
  }

  private revokeFamily(t: TenantData, policy: TenantStorePolicy, familyId: string): void {
    t.revokedFamilies.set(familyId, { value: 1, expiresAt: this.clock.now() + policy.revocationRetentionMs });
    this.wrote();
  }

  private setWatermark(policy: TenantStorePolicy, ids: string[], audit: RevocationAudit): void {
    const t = this.tenant(policy.tenantId);
    t.watermarks.set(JSON.stringify(ids), { value: t.sequence, expiresAt: this.clock.now() + policy.revocationRetentionMs });
    this.record(t, audit);
    this.wrote();
  }

  private record(t: TenantData, audit: RevocationAudit): void {
    t.audit.push({ ...audit });
    if (t.audit.length > MEMORY_AUDIT_LIMIT) t.audit.splice(0, t.audit.length - MEMORY_AUDIT_LIMIT);
  }

  private live<T extends Expiring>(map: Map<string, T>, key: string, now: number): T | undefined {
    const value = map.get(key);
    if (!value) return undefined;
    if (value.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return value;
  }

  private wrote(): void {
    this.writes += 1;
    if (this.writes % SWEEP_EVERY_WRITES === 0) this.sweep(this.clock.now());
  }

  private sweep(now: number): void {
    for (const t of this.tenants.values()) {
      for (const map of [t.tokens, t.revokedFamilies, t.watermarks] as Map<string, Expiring>[]) {
        for (const [key, value] of map) if (value.expiresAt <= now) map.delete(key);
      }
    }
  }

  private tenant(tenantId: string): TenantData {
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = new TenantData();
      this.tenants.set(tenantId, t);
    }
    return t;
  }
}

import type { Clock } from '../../clock.js';
import { AUDIT_RECORDS_PER_TENANT } from '../audit-limit.js';
import type {
  ImportedRefreshToken,
  ImportOutcome,
  NewRefreshToken,
  NewTokenFamily,
  PresentOutcome,
  RevocationAudit,
  RotateOutcome,
  StoredTokenState,
  TenantStorePolicy,
  TokenStore,
} from '../ports.js';
import { BoundedLog } from './bounded-log.js';
import { ExpiringMap } from './expiring-map.js';

interface TokenEntry {
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  readonly familyId: string;
  readonly sequence: number;
  state: 'active' | 'consumed' | 'revoked';
}

class TenantData {
  sequence = 0;
  readonly tokens: ExpiringMap<string, TokenEntry>;
  /** Revoked family ids (the value is unused: presence is the marker). */
  readonly revokedFamilies: ExpiringMap<string, true>;
  /** Watermarks (issue sequences) by a collision-free composite key (JSON of the id tuple). */
  readonly watermarks: ExpiringMap<string, number>;
  readonly audit = new BoundedLog<RevocationAudit>(AUDIT_RECORDS_PER_TENANT);

  constructor(clock: Clock) {
    this.tokens = new ExpiringMap(clock);
    this.revokedFamilies = new ExpiringMap(clock);
    this.watermarks = new ExpiringMap(clock);
  }

  /** The maps whose entries expire: what a sweep walks. */
  expiring(): readonly ExpiringMap<string, unknown>[] {
    return [this.tokens, this.revokedFamilies, this.watermarks];
  }
}

/**
 * The embedded single-process store: the same semantics as the Redis scripts, with
 * JavaScript's run-to-completion standing in for script atomicity. Every entry expires
 * through {@link ExpiringMap}; the audit trail is bounded on append.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly tenants = new Map<string, TenantData>();

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
    const entry = t.tokens.get(digest);
    if (entry) {
      entry.state = 'revoked';
      this.revokeFamily(t, policy, entry.familyId);
    }
    t.audit.push({ ...audit });
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

  async importTokens(policy: TenantStorePolicy, tokens: readonly ImportedRefreshToken[]): Promise<ImportOutcome[]> {
    const t = this.tenant(policy.tenantId);
    return tokens.map((token): ImportOutcome => {
      const entry = t.tokens.get(token.digest);
      if (!entry) {
        this.store(t, token, token.familyId, token.revoked ? 'revoked' : 'active');
        return token.revoked ? 'imported_revoked' : 'imported';
      }
      if (token.revoked && entry.state !== 'revoked' && !t.revokedFamilies.get(entry.familyId)) {
        entry.state = 'revoked';
        this.revokeFamily(t, policy, entry.familyId);
        return 'revoked';
      }
      return 'already';
    });
  }

  async tokenStates(policy: TenantStorePolicy, digests: readonly string[], now: number): Promise<StoredTokenState[]> {
    const t = this.tenant(policy.tenantId);
    return digests.map((digest): StoredTokenState => {
      const entry = t.tokens.get(digest, now);
      if (!entry) return 'absent';
      if (entry.state === 'revoked' || t.revokedFamilies.get(entry.familyId, now)) return 'revoked';
      return entry.state;
    });
  }

  async recentAudit(tenantId: string, count: number): Promise<RevocationAudit[]> {
    return this.tenant(tenantId).audit.last(count);
  }

  /**
   * Drops the tenant's expired tokens, markers and watermarks (the reconciler; each map
   * also prunes itself as it is written). Returns what it looked at and removed.
   */
  sweepTenant(tenantId: string, now = this.clock.now()): { examined: number; removed: number } {
    const t = this.tenants.get(tenantId);
    if (!t) return { examined: 0, removed: 0 };
    let examined = 0;
    let removed = 0;
    for (const map of t.expiring()) {
      examined += map.size();
      removed += map.prune(now);
    }
    return { examined, removed };
  }

  /** Number of live entries of every kind, for tests of bounded memory. */
  size(now = this.clock.now()): number {
    let n = 0;
    for (const t of this.tenants.values()) {
      for (const map of t.expiring()) {
        map.prune(now);
        n += map.size();
      }
    }
    return n;
  }

  private check(
    t: TenantData,
    policy: TenantStorePolicy,
    digest: string,
    now: number,
  ): { kind: 'active'; token: TokenEntry } | { kind: 'not_found' | 'revoked' | 'reused' } {
    const entry = t.tokens.get(digest, now);
    if (!entry) return { kind: 'not_found' };
    if (entry.state === 'consumed') {
      this.revokeFamily(t, policy, entry.familyId);
      return { kind: 'reused' };
    }
    if (entry.state === 'revoked' || this.isRevoked(t, entry, now)) return { kind: 'revoked' };
    return { kind: 'active', token: entry };
  }

  private isRevoked(t: TenantData, entry: TokenEntry, now: number): boolean {
    if (t.revokedFamilies.get(entry.familyId, now)) return true;
    const applies = [['u', entry.subject]];
    for (const audience of entry.audiences) applies.push(['a', audience], ['ua', entry.subject, audience]);
    return applies.some((ids) => {
      const mark = t.watermarks.get(JSON.stringify(ids), now);
      return mark !== undefined && entry.sequence <= mark;
    });
  }

  private store(t: TenantData, token: NewRefreshToken, familyId: string, state: TokenEntry['state'] = 'active'): void {
    t.sequence += 1;
    const entry: TokenEntry = {
      subject: token.subject,
      audiences: [...token.audiences],
      claims: { ...token.claims },
      familyId,
      sequence: t.sequence,
      state,
    };
    t.tokens.setUntil(token.digest, entry, token.expiresAt);
  }

  private revokeFamily(t: TenantData, policy: TenantStorePolicy, familyId: string): void {
    t.revokedFamilies.set(familyId, true, policy.revocationRetentionMs);
  }

  private setWatermark(policy: TenantStorePolicy, ids: string[], audit: RevocationAudit): void {
    const t = this.tenant(policy.tenantId);
    t.watermarks.set(JSON.stringify(ids), t.sequence, policy.revocationRetentionMs);
    t.audit.push({ ...audit });
  }

  private tenant(tenantId: string): TenantData {
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = new TenantData(this.clock);
      this.tenants.set(tenantId, t);
    }
    return t;
  }
}

import type { Clock } from '../../clock.js';
import { AUDIT_RECORDS_PER_TENANT } from '../audit-limit.js';
import type {
  ImportedRefreshToken,
  ImportOutcome,
  NewRefreshToken,
  NewTokenFamily,
  PresentOutcome,
  RevocationAudit,
  RevocationEventScope,
  RevocationQuery,
  RevocationState,
  RotateOutcome,
  StoredTokenState,
  RotationOutcome,
  TenantStorePolicy,
  TokenStore,
} from '../ports.js';
import { eventRetentionOf } from '../ports.js';
import { BoundedLog } from './bounded-log.js';
import { MemoryRevocationEventLog } from './event-log.js';
import { ExpiringMap } from './expiring-map.js';

interface TokenEntry {
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  readonly familyId: string;
  readonly sequence: number;
  /** The family's DPoP key thumbprint, if bound. */
  readonly jkt?: string | undefined;
  state: 'active' | 'consumed' | 'revoked';
}

class TenantData {
  sequence = 0;
  /**
   * The latest refresh-token expiry stored (the Redis `hwm` key): revocation markers live
   * at least until it, so they outlive every token they can reach.
   */
  highWater = 0;
  readonly tokens: ExpiringMap<string, TokenEntry>;
  /** Revoked family ids (the value is unused: presence is the marker). */
  readonly revokedFamilies: ExpiringMap<string, true>;
  /** Watermarks (issue sequences) by a collision-free composite key (JSON of the id tuple). */
  readonly watermarks: ExpiringMap<string, number>;
  /**
   * Per user with a capped tenant: live family id → its current expiry (the Redis `uf:`
   * set); the user's entry lapses with its latest family.
   */
  readonly userFamilies: ExpiringMap<string, Map<string, number>>;
  /** Revoked API keys (src/apikeys/): tokens they minted are revoked. */
  readonly revokedApiKeys: ExpiringMap<string, true>;
  readonly audit = new BoundedLog<RevocationAudit>(AUDIT_RECORDS_PER_TENANT);

  constructor(clock: Clock) {
    this.tokens = new ExpiringMap(clock);
    this.revokedFamilies = new ExpiringMap(clock);
    this.watermarks = new ExpiringMap(clock);
    this.userFamilies = new ExpiringMap(clock);
    this.revokedApiKeys = new ExpiringMap(clock);
  }

  /** The maps whose entries expire: what a sweep walks. */
  expiring(): readonly ExpiringMap<string, unknown>[] {
    return [this.tokens, this.revokedFamilies, this.watermarks, this.userFamilies, this.revokedApiKeys];
  }
}

/**
 * The embedded single-process store: the same semantics as the Redis scripts, with
 * JavaScript's run-to-completion standing in for script atomicity. Every entry expires
 * through {@link ExpiringMap}; the audit trail is bounded on append; revocation events go
 * to the event log in the same synchronous step as the revocation.
 */
export class MemoryTokenStore implements TokenStore {
  private readonly tenants = new Map<string, TenantData>();

  constructor(
    private readonly clock: Clock,
    /** Where revocations write their events (the stores' event log). */
    readonly events: MemoryRevocationEventLog = new MemoryRevocationEventLog(clock),
  ) {}

  async issue(policy: TenantStorePolicy, token: NewTokenFamily): Promise<number> {
    const t = this.tenant(policy.tenantId);
    const sequence = this.store(t, token, token.familyId);
    if (policy.maxFamiliesPerUser !== undefined) this.admitFamily(t, policy, token, policy.maxFamiliesPerUser);
    return sequence;
  }

  async discard(policy: TenantStorePolicy, digest: string): Promise<void> {
    this.tenant(policy.tenantId).tokens.delete(digest);
  }

  async present(policy: TenantStorePolicy, digest: string, now: number): Promise<PresentOutcome> {
    const t = this.tenant(policy.tenantId);
    const entry = this.check(t, policy, digest, now);
    if (entry.kind !== 'active') return entry;
    const { subject, audiences, claims, jkt } = entry.token;
    return { kind: 'active', token: { subject, audiences, claims, ...(jkt ? { jkt } : {}) } };
  }

  async presentForRotation(policy: TenantStorePolicy, digest: string, now: number): Promise<RotationOutcome> {
    const t = this.tenant(policy.tenantId);
    const entry = this.check(t, policy, digest, now);
    if (entry.kind !== 'active') return entry;
    const { subject, audiences, claims, familyId, jkt } = entry.token;
    t.sequence += 1;
    return { kind: 'active', token: { subject, audiences, claims, ...(jkt ? { jkt } : {}) }, familyId, sequence: t.sequence };
  }

  async rotate(
    policy: TenantStorePolicy,
    presentedDigest: string,
    next: NewRefreshToken,
    now: number,
    sequence?: number,
  ): Promise<RotateOutcome> {
    const t = this.tenant(policy.tenantId);
    const entry = this.check(t, policy, presentedDigest, now);
    if (entry.kind !== 'active') return entry;
    entry.token.state = 'consumed';
    // The binding comes from the consumed record, never from the caller: a family keeps its key.
    this.store(
      t,
      { ...next, subject: entry.token.subject, audiences: entry.token.audiences, jkt: entry.token.jkt },
      entry.token.familyId,
      { sequence },
    );
    const families = t.userFamilies.get(entry.token.subject, now);
    if (families?.has(entry.token.familyId)) {
      families.set(entry.token.familyId, next.expiresAt);
      t.userFamilies.setUntil(entry.token.subject, families, Math.max(...families.values()));
    }
    return { kind: 'rotated' };
  }

  async revokeToken(policy: TenantStorePolicy, digest: string, audit: RevocationAudit): Promise<boolean> {
    const t = this.tenant(policy.tenantId);
    const entry = t.tokens.get(digest);
    if (!entry || t.revokedFamilies.get(entry.familyId)) return false;
    entry.state = 'revoked';
    this.revokeFamily(t, policy, entry.familyId, audit.occurredAt);
    t.audit.push({ ...audit });
    return true;
  }

  async revokeUser(policy: TenantStorePolicy, userId: string, audit: RevocationAudit): Promise<void> {
    this.setWatermark(policy, ['u', userId], audit, 'user', userId, '');
  }

  async revokeAudience(policy: TenantStorePolicy, audience: string, audit: RevocationAudit): Promise<void> {
    this.setWatermark(policy, ['a', audience], audit, 'audience', '', audience);
  }

  async revokeUserAudience(policy: TenantStorePolicy, userId: string, audience: string, audit: RevocationAudit): Promise<void> {
    this.setWatermark(policy, ['ua', userId, audience], audit, 'user_audience', userId, audience);
  }

  async importTokens(policy: TenantStorePolicy, tokens: readonly ImportedRefreshToken[]): Promise<ImportOutcome[]> {
    const t = this.tenant(policy.tenantId);
    return tokens.map((token): ImportOutcome => {
      const entry = t.tokens.get(token.digest);
      if (!entry) {
        this.store(t, token, token.familyId, { state: token.revoked ? 'revoked' : 'active' });
        return token.revoked ? 'imported_revoked' : 'imported';
      }
      if (token.revoked && entry.state !== 'revoked' && !t.revokedFamilies.get(entry.familyId)) {
        entry.state = 'revoked';
        // As the Redis import script: the marker only (a migrated family has no access tokens of ours).
        t.revokedFamilies.setUntil(entry.familyId, true, this.markerExpiry(t, policy));
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

  async revocationState(policy: TenantStorePolicy, query: RevocationQuery): Promise<RevocationState> {
    const t = this.tenant(policy.tenantId);
    const now = this.clock.now();
    let watermark = 0;
    for (const ids of applicableWatermarks(query.subject, query.audiences)) {
      watermark = Math.max(watermark, t.watermarks.get(JSON.stringify(ids), now) ?? 0);
    }
    const familyRevoked = t.revokedFamilies.get(query.familyId, now) !== undefined;
    if (!query.apiKeyId) return { familyRevoked, watermark };
    return { familyRevoked, watermark, apiKeyRevoked: t.revokedApiKeys.get(query.apiKeyId, now) !== undefined };
  }

  /** The next number of the tenant's issue sequence (an API-key exchange's `rsq`). */
  nextSequence(tenantId: string): number {
    const t = this.tenant(tenantId);
    t.sequence += 1;
    return t.sequence;
  }

  /** Appends to the tenant's audit trail (API-key records share it). */
  appendAudit(tenantId: string, audit: RevocationAudit): void {
    this.tenant(tenantId).audit.push({ ...audit });
  }

  /**
   * Revokes the tokens an API key minted: its marker (one event retention) and its
   * `api_key` event, once; answers false when the key was already revoked.
   */
  revokeApiKeyTokens(policy: TenantStorePolicy, keyId: string, at: number): boolean {
    const t = this.tenant(policy.tenantId);
    if (t.revokedApiKeys.get(keyId) !== undefined) return false;
    t.revokedApiKeys.set(keyId, true, eventRetentionOf(policy));
    this.events.append(policy, {
      scope: 'api_key',
      userId: '',
      audience: '',
      familyId: '',
      apiKeyId: keyId,
      watermark: 0,
      revokedAtMs: at,
    });
    return true;
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
      this.revokeFamily(t, policy, entry.familyId, now);
      return { kind: 'reused' };
    }
    if (entry.state === 'revoked' || this.isRevoked(t, entry, now)) return { kind: 'revoked' };
    return { kind: 'active', token: entry };
  }

  private isRevoked(t: TenantData, entry: TokenEntry, now: number): boolean {
    if (t.revokedFamilies.get(entry.familyId, now)) return true;
    return applicableWatermarks(entry.subject, entry.audiences).some((ids) => {
      const mark = t.watermarks.get(JSON.stringify(ids), now);
      return mark !== undefined && entry.sequence <= mark;
    });
  }

  /**
   * Stores a token under `sequence` (reserved earlier) or the next number, in `state`
   * (imported tokens may arrive revoked); answers the number.
   */
  private store(
    t: TenantData,
    token: NewRefreshToken & { readonly jkt?: string | undefined },
    familyId: string,
    { sequence, state = 'active' }: { sequence?: number | undefined; state?: TokenEntry['state'] } = {},
  ): number {
    if (sequence === undefined) t.sequence += 1;
    const entry: TokenEntry = {
      subject: token.subject,
      audiences: [...token.audiences],
      claims: { ...token.claims },
      familyId,
      sequence: sequence ?? t.sequence,
      ...(token.jkt ? { jkt: token.jkt } : {}),
      state,
    };
    t.tokens.setUntil(token.digest, entry, token.expiresAt);
    t.highWater = Math.max(t.highWater, token.expiresAt);
    return entry.sequence;
  }

  /**
   * The per-user cap, as the Redis `admit_family`: expired families are dropped; at the
   * cap, families already revoked go first, then the ones that would expire first are
   * revoked until the new family fits.
   */
  private admitFamily(t: TenantData, policy: TenantStorePolicy, token: NewTokenFamily, cap: number): void {
    const now = token.issuedAt;
    const families = t.userFamilies.get(token.subject, now) ?? new Map<string, number>();
    for (const [familyId, expiresAt] of families) if (expiresAt <= now) families.delete(familyId);
    if (families.size >= cap) {
      for (const familyId of families.keys()) if (t.revokedFamilies.get(familyId, now)) families.delete(familyId);
      const oldestFirst = [...families].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0));
      for (const [familyId] of oldestFirst.slice(0, Math.max(0, families.size - cap + 1))) {
        this.revokeFamily(t, policy, familyId, now);
        families.delete(familyId);
      }
    }
    families.set(token.familyId, token.expiresAt);
    t.userFamilies.setUntil(token.subject, families, Math.max(...families.values()));
  }

  /** When a revocation marker set now lapses: one retention from now, or the high-water mark when later. */
  private markerExpiry(t: TenantData, policy: TenantStorePolicy): number {
    return Math.max(t.highWater, this.clock.now() + policy.revocationRetentionMs);
  }

  /** Sets the family marker; a family revoked now (not before) gets its event. */
  private revokeFamily(t: TenantData, policy: TenantStorePolicy, familyId: string, at: number): void {
    const fresh = t.revokedFamilies.get(familyId) === undefined;
    t.revokedFamilies.setUntil(familyId, true, this.markerExpiry(t, policy));
    if (fresh) this.event(policy, 'family', { familyId, revokedAtMs: at });
  }

  private setWatermark(
    policy: TenantStorePolicy,
    ids: string[],
    audit: RevocationAudit,
    scope: RevocationEventScope,
    userId: string,
    audience: string,
  ): void {
    const t = this.tenant(policy.tenantId);
    t.watermarks.setUntil(JSON.stringify(ids), t.sequence, this.markerExpiry(t, policy));
    t.audit.push({ ...audit });
    this.event(policy, scope, { userId, audience, watermark: t.sequence, revokedAtMs: audit.occurredAt });
  }

  private event(
    policy: TenantStorePolicy,
    scope: RevocationEventScope,
    fields: { userId?: string; audience?: string; familyId?: string; watermark?: number; revokedAtMs: number },
  ): void {
    this.events.append(policy, {
      scope,
      userId: fields.userId ?? '',
      audience: fields.audience ?? '',
      familyId: fields.familyId ?? '',
      apiKeyId: '',
      watermark: fields.watermark ?? 0,
      revokedAtMs: fields.revokedAtMs,
    });
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

/** The watermark ids that apply to a token of this subject and audiences (as the Redis key builder's `watermarksFor`). */
function applicableWatermarks(subject: string, audiences: readonly string[]): string[][] {
  const applies = [['u', subject]];
  for (const audience of new Set(audiences)) applies.push(['a', audience], ['ua', subject, audience]);
  return applies;
}

import type { Clock } from '../clock.js';
import { ExpiringMap } from '../store/memory/expiring-map.js';
import type { MemoryTokenStore } from '../store/memory/token-store.js';
import { eventRetentionOf, type RevocationAudit, type TenantStorePolicy } from '../store/ports.js';
import { indexMember } from './cursor.js';
import type { ActiveApiKey, ApiKeyInfo, ApiKeyLookup, ApiKeyPage, ApiKeyStore, NewApiKey } from './store.js';

interface Entry extends ActiveApiKey {
  readonly member: string;
}

class TenantKeys {
  readonly records: ExpiringMap<string, Entry>;
  /** Per owner: index members in creation order (members are created in increasing order per owner). */
  readonly owners = new Map<string, string[]>();

  constructor(clock: Clock) {
    this.records = new ExpiringMap(clock);
  }
}

const NEVER = Number.POSITIVE_INFINITY;

function publicInfo(entry: Entry): ApiKeyInfo {
  const { digest: _digest, member: _member, ...info } = entry;
  return info;
}

/**
 * API keys of the embedded store. The issue sequence, the audit trail, the revocation
 * markers and events are the token store's (they are the tenant's), so ValidateToken and
 * WatchRevocations see API-key revocations as they see every other.
 */
export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly tenants = new Map<string, TenantKeys>();

  constructor(
    private readonly clock: Clock,
    private readonly tokens: MemoryTokenStore,
  ) {}

  async create(policy: TenantStorePolicy, key: NewApiKey, limit: number, audit: RevocationAudit): Promise<'created' | 'limit'> {
    const t = this.tenant(policy.tenantId);
    const now = key.createdAt;
    const members = this.prunedMembers(t, key.owner);
    const live = members.filter((m) => {
      const entry = t.records.get(m.slice(16), now);
      return entry !== undefined && !entry.revoked;
    }).length;
    if (live >= limit) return 'limit';
    const member = indexMember(key.createdAt, key.keyId);
    t.records.setUntil(key.keyId, { ...key, lastUsedAt: 0, revoked: false, member }, key.expiresAt === 0 ? NEVER : key.expiresAt);
    insertSorted(members, member);
    t.owners.set(key.owner, members);
    this.tokens.appendAudit(policy.tenantId, audit);
    return 'created';
  }

  async list(policy: TenantStorePolicy, owner: string, cursor: string, limit: number, now: number): Promise<ApiKeyPage> {
    const t = this.tenant(policy.tenantId);
    const members = this.prunedMembers(t, owner);
    const keys: ApiKeyInfo[] = [];
    let last = '';
    let more = false;
    for (const member of members) {
      if (cursor !== '' && member <= cursor) continue;
      if (keys.length === limit) {
        more = true;
        break;
      }
      const entry = t.records.get(member.slice(16), now);
      last = member;
      if (entry) keys.push(publicInfo(entry));
    }
    return { keys, next: more ? last : '' };
  }

  async revoke(policy: TenantStorePolicy, keyId: string, audit: RevocationAudit): Promise<boolean> {
    const t = this.tenant(policy.tenantId);
    this.tokens.appendAudit(policy.tenantId, audit);
    const entry = t.records.get(keyId);
    if (entry?.revoked) return false;
    if (entry) t.records.set(keyId, { ...entry, revoked: true }, eventRetentionOf(policy));
    return this.tokens.revokeApiKeyTokens(policy, keyId, audit.occurredAt);
  }

  async lookup(policy: TenantStorePolicy, keyId: string, now: number): Promise<ApiKeyLookup> {
    const entry = this.tenant(policy.tenantId).records.get(keyId, now);
    if (!entry) {
      return { kind: 'unknown' };
    }
    if (entry.revoked) return { kind: 'revoked' };
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) return { kind: 'expired' };
    const { member: _member, ...key } = entry;
    return { kind: 'active', key, sequence: this.tokens.nextSequence(policy.tenantId) };
  }

  async touch(policy: TenantStorePolicy, keyId: string, now: number, coarseMs: number): Promise<void> {
    const t = this.tenant(policy.tenantId);
    const entry = t.records.get(keyId, now);
    if (!entry || now - entry.lastUsedAt < coarseMs) return;
    const until = entry.revoked ? now + eventRetentionOf(policy) : entry.expiresAt === 0 ? NEVER : entry.expiresAt;
    t.records.setUntil(keyId, { ...entry, lastUsedAt: now }, until);
  }

  async audit(policy: TenantStorePolicy, audit: RevocationAudit): Promise<void> {
    this.tokens.appendAudit(policy.tenantId, audit);
  }

  async liveCount(policy: TenantStorePolicy, now: number): Promise<number> {
    const t = this.tenants.get(policy.tenantId);
    if (!t) return 0;
    t.records.prune(now);
    let n = 0;
    for (const members of t.owners.values()) {
      for (const member of members) {
        const entry = t.records.get(member.slice(16), now);
        if (entry && !entry.revoked) n += 1;
      }
    }
    return n;
  }

  /** The owner's index without members whose record is gone (expired, or revoked and forgotten). */
  private prunedMembers(t: TenantKeys, owner: string): string[] {
    const members = (t.owners.get(owner) ?? []).filter((m) => t.records.get(m.slice(16)) !== undefined);
    if (members.length === 0) t.owners.delete(owner);
    else t.owners.set(owner, members);
    return members;
  }

  private tenant(tenantId: string): TenantKeys {
    let t = this.tenants.get(tenantId);
    if (!t) {
      t = new TenantKeys(this.clock);
      this.tenants.set(tenantId, t);
    }
    return t;
  }
}

/** Inserts keeping the order (members of one owner almost always arrive in order). */
function insertSorted(members: string[], member: string): void {
  let i = members.length;
  while (i > 0 && (members[i - 1] ?? '') > member) i -= 1;
  members.splice(i, 0, member);
}

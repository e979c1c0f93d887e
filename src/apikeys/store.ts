import type { RevocationAudit, TenantStorePolicy } from '../store/ports.js';

/**
 * The API-key store port. Records live under the tenant's namespace, beside its tokens:
 * revoking a key writes its revocation marker (read by ValidateToken with the token's
 * other revocation state), its `api_key` revocation event and its audit record in one
 * atomic step. Implementations: `memory-store.ts` and `redis-store.ts`; one contract suite
 * (test/contract/api-key-store.test.ts) runs against both.
 */

/** What ListApiKeys shows of a key: metadata only, never the secret or its digest. */
export interface ApiKeyInfo {
  readonly keyId: string;
  readonly owner: string;
  readonly name: string;
  readonly claims: Readonly<Record<string, string>>;
  readonly audiences: readonly string[];
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** Milliseconds since the epoch; 0 = never. */
  readonly expiresAt: number;
  /** Milliseconds since the epoch; 0 = never used. */
  readonly lastUsedAt: number;
  readonly revoked: boolean;
}

/** A key about to be stored: its metadata and the keyed digest of its secret. */
export interface NewApiKey extends Omit<ApiKeyInfo, 'lastUsedAt' | 'revoked'> {
  /** HMAC-SHA-256 of the secret under the pepper (base64url). */
  readonly digest: string;
}

/** A stored, usable key as the exchange reads it. */
export interface ActiveApiKey extends ApiKeyInfo {
  readonly digest: string;
}

/**
 * What one exchange look-up found. `active` also carries a number taken from the tenant's
 * issue sequence in the same step (the minted token's `rsq`), so a bulk revocation of the
 * owner reaches tokens minted before it and none minted after.
 */
export type ApiKeyLookup =
  | { readonly kind: 'active'; readonly key: ActiveApiKey; readonly sequence: number }
  | { readonly kind: 'unknown' | 'expired' | 'revoked' };

/** A page of one owner's keys, oldest first; `next` is empty on the last page. */
export interface ApiKeyPage {
  readonly keys: readonly ApiKeyInfo[];
  readonly next: string;
}

/** The API keys of every tenant. */
export interface ApiKeyStore {
  /**
   * Stores a key unless its owner already has `limit` live (unexpired, unrevoked) keys,
   * with its audit record in the same step. Answers whether it was stored.
   */
  create(policy: TenantStorePolicy, key: NewApiKey, limit: number, audit: RevocationAudit): Promise<'created' | 'limit'>;
  /**
   * Up to `limit` keys of the owner after the cursor (`''`: from the first), oldest first.
   * The order is by creation and never changes, so a walk with the cursors sees every key
   * that existed throughout the walk exactly once. Expired and forgotten keys are skipped.
   */
  list(policy: TenantStorePolicy, owner: string, cursor: string, limit: number, now: number): Promise<ApiKeyPage>;
  /**
   * Revokes the key: it stops at once for every replica; tokens it minted are revoked
   * (marker for ValidateToken, `api_key` event for the verifiers), with the audit record,
   * in one step. An unknown or already revoked key is not an error: answers whether this
   * call revoked it.
   */
  revoke(policy: TenantStorePolicy, keyId: string, audit: RevocationAudit): Promise<boolean>;
  /** One read: the key for an exchange (and a sequence number when it is usable). */
  lookup(policy: TenantStorePolicy, keyId: string, now: number): Promise<ApiKeyLookup>;
  /** Sets `last_used_at` to `now` unless it is already within `coarseMs` of it (every replica shares the bound). */
  touch(policy: TenantStorePolicy, keyId: string, now: number, coarseMs: number): Promise<void>;
  /** Appends an audit record (refused exchanges). */
  audit(policy: TenantStorePolicy, audit: RevocationAudit): Promise<void>;
  /** How many live keys the tenant has (the `token_engine_api_keys_live` gauge). */
  liveCount(policy: TenantStorePolicy, now: number): Promise<number>;
}

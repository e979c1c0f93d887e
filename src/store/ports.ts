import type { ApiKeyStore } from '../apikeys/store.js';

/**
 * Storage ports. Two implementations pass the same contract suite
 * (test/contract/): `redis/` for production and `memory/` for one process.
 *
 * Data model (doc/adr/0001-token-data-model.md):
 * - a refresh token is stored only as the SHA-256 digest of its value;
 * - every token belongs to a family (the chain of rotations that started with one
 *   IssueToken); revoking or detecting reuse revokes the family with one marker;
 * - every token gets a per-tenant issue sequence number (an access token carries it as
 *   `rsq`, its family as `sid`); a bulk revocation stores a watermark (the sequence at the
 *   time of the call) for the user, the audience or the pair, and a token is revoked when
 *   its number is at or below a watermark that applies to it. Revocation therefore never
 *   scans and costs the same for 1 or 10^6 matching tokens;
 * - every revocation also records an event (RevocationEventLog) in the same atomic step,
 *   for WatchRevocations (doc/adr/0006-revocation-reach.md).
 */

/** What the revocation scopes of the audit trail are called (upstream names). */
export type RevocationScope =
  | 'token'
  | 'audience'
  | 'user'
  | 'user_audience'
  /** RevokeApiKey (target: the key id). */
  | 'api_key'
  /** CreateApiKey (target: the key id). */
  | 'api_key_create'
  /** A refused ExchangeApiKey (target: the key id when the secret names one; token_ref: the reason). */
  | 'api_key_exchange_refused';

/** An audit record, stored in the same atomic step as the revocation it describes. */
export interface RevocationAudit {
  readonly callerIdentity: string;
  /** First 16 hex of SHA-256 of the refresh token (scope `token`), else "". */
  readonly tokenRef: string;
  /** The audience (scope `audience`), the user id (`user`, `user_audience`), else "". */
  readonly target: string;
  readonly scope: RevocationScope;
  /** Milliseconds since the epoch. */
  readonly occurredAt: number;
}

/** A refresh token about to be stored. The token value itself never reaches a store. */
export interface NewRefreshToken {
  /** base64url SHA-256 of the token value. */
  readonly digest: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** A new token starting a family (IssueToken). */
export interface NewTokenFamily extends NewRefreshToken {
  readonly familyId: string;
  /**
   * The RFC 7638 thumbprint of the DPoP key the family is bound to, if any. Every token
   * of the family keeps it: a rotation copies it from the consumed record, never from the
   * caller, so a family's binding can never change.
   */
  readonly jkt?: string | undefined;
}

/**
 * A refresh token carried over from another service (`migrate-from-go`): it starts a
 * family of its own, like an issued token.
 */
export interface ImportedRefreshToken extends NewTokenFamily {
  /** Revoked at the source: stored revoked, or revoked now when it was imported before. */
  readonly revoked: boolean;
}

/**
 * What importing one token did. `imported`: stored, usable. `imported_revoked`: stored
 * revoked. `already`: a record with this digest exists and was left as it is. `revoked`:
 * imported earlier and revoked at the source since: revoked here too, with its family.
 */
export type ImportOutcome = 'imported' | 'imported_revoked' | 'already' | 'revoked';

/**
 * The state of a stored record, read without changing it: `absent`, `active`, `consumed`
 * (rotated) or `revoked` (revoked itself, or its family is). Watermarks are not consulted.
 */
export type StoredTokenState = 'absent' | 'active' | 'consumed' | 'revoked';

/** What a stored, usable refresh token says about its owner. */
export interface ActiveRefreshToken {
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  /** The thumbprint of the DPoP key the family is bound to; absent for an unbound family. */
  readonly jkt?: string | undefined;
}

/**
 * A presented token that may be rotated, with what its successor's access token needs:
 * the family (the `sid` claim) and a sequence number reserved for it (the `rsq` claim),
 * taken from the tenant's issue sequence by the same store step that checked the token.
 */
export type RotationOutcome =
  | {
      readonly kind: 'active';
      readonly token: ActiveRefreshToken;
      readonly familyId: string;
      readonly sequence: number;
    }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'reused' };

/**
 * The outcome of presenting a refresh token.
 * `reused`: the token had already been rotated; its family is now revoked.
 */
export type PresentOutcome =
  | { readonly kind: 'active'; readonly token: ActiveRefreshToken }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'reused' };

export type RotateOutcome =
  | { readonly kind: 'rotated' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'reused' };

/** Per-tenant settings a store needs to bound what it keeps. */
export interface TenantStorePolicy {
  readonly tenantId: string;
  /**
   * How long revocation markers must live: the longest refresh-token lifetime any
   * token of the tenant can have.
   */
  readonly revocationRetentionMs: number;
  /**
   * How long revocation events are kept (WatchRevocations): at least the longest
   * access-token lifetime of the tenant plus the validation leeway
   * ({@link eventRetentionFor}). Absent: {@link DEFAULT_EVENT_RETENTION_MS}.
   */
  readonly eventRetentionMs?: number | undefined;
  /**
   * Live refresh-token families one user may hold: issuing one more revokes the user's
   * family that would expire first (the least recently issued or refreshed), in the same
   * atomic step. Absent: no cap.
   */
  readonly maxFamiliesPerUser?: number | undefined;
}

/** The clock leeway ValidateToken and the local verifier allow on `exp` and `nbf`. */
export const VALIDATION_LEEWAY_MS = 60_000;

/**
 * How long the events of a tenant whose longest access token lives `accessTokenTtlMs`
 * are kept: that lifetime plus the validation leeway, so an event is kept as long as a
 * token it revokes can still be accepted anywhere. The leeway is capped at the lifetime
 * itself, so that very short test lifetimes (seconds) keep their events seconds, not a
 * minute (doc/adr/0006-revocation-reach.md).
 */
export function eventRetentionFor(accessTokenTtlMs: number): number {
  return accessTokenTtlMs + Math.min(VALIDATION_LEEWAY_MS, accessTokenTtlMs);
}

/** Event retention of a policy that names none: the default 15-minute access token's. */
export const DEFAULT_EVENT_RETENTION_MS = eventRetentionFor(15 * 60_000);

/** The event retention of a policy. */
export function eventRetentionOf(policy: TenantStorePolicy): number {
  return policy.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS;
}

/** What an access token says about where it stands in its tenant's revocations. */
export interface RevocationQuery {
  /** The `sid` claim: the token's family. */
  readonly familyId: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  /** The `akid` claim of a token minted from an API key; absent or empty otherwise. */
  readonly apiKeyId?: string | undefined;
}

/**
 * The revocation state that applies to one access token, read in one store round trip:
 * whether its family is revoked, and the highest watermark among the user's, each
 * audience's and each user+audience one (0 when there is none). The token is revoked
 * when its family is, or when its `rsq` is at or below the watermark.
 */
export interface RevocationState {
  readonly familyRevoked: boolean;
  readonly watermark: number;
  /** The token was minted from an API key that is revoked since (RevokeApiKey). */
  readonly apiKeyRevoked?: boolean | undefined;
}

/**
 * Seen DPoP proof ids (RFC 9449 `jti`), shared by every replica: a proof is accepted once
 * per tenant and key thumbprint within its acceptance window.
 */
export interface DpopReplayStore {
  /**
   * Records the proof id for `ttlMs` and answers true, or answers false when the same
   * tenant, thumbprint and id were recorded before and have not lapsed. Of concurrent
   * claims of one id, exactly one answers true.
   */
  claim(tenantId: string, jkt: string, jti: string, ttlMs: number): Promise<boolean>;
}

/** Refresh tokens, their families and revocations of one store. */
export interface TokenStore {
  /**
   * Stores the first token of a new family and answers the issue sequence number it
   * took from the tenant's sequence (the access token's `rsq`).
   */
  issue(policy: TenantStorePolicy, token: NewTokenFamily): Promise<number>;
  /**
   * Deletes a token record that nobody holds (IssueToken could not sign after storing
   * it). Deleting an unknown record is not an error.
   */
  discard(policy: TenantStorePolicy, digest: string): Promise<void>;
  /**
   * Looks a presented token up for refresh. A token that was already rotated revokes
   * its family (reuse detection, with its revocation event) and answers `reused`.
   */
  present(policy: TenantStorePolicy, digest: string, now: number): Promise<PresentOutcome>;
  /**
   * `present`, and for a token that may be rotated also its family and a sequence number
   * reserved from the tenant's sequence in the same step: RefreshToken signs the new
   * access token with it and passes it to `rotate`. Numbers reserved by refreshes that
   * then fail are simply never used.
   */
  presentForRotation(policy: TenantStorePolicy, digest: string, now: number): Promise<RotationOutcome>;
  /**
   * Atomically consumes the presented token and stores its successor in the same
   * family with the same subject and audiences. Re-checks everything `present`
   * checked: of concurrent rotations of one token exactly one answers `rotated`. The
   * successor takes `sequence` (reserved by `presentForRotation`), or a new number.
   */
  rotate(
    policy: TenantStorePolicy,
    presentedDigest: string,
    next: NewRefreshToken,
    now: number,
    sequence?: number,
  ): Promise<RotateOutcome>;
  /**
   * Revokes the token's family. Unknown or already revoked tokens are not an error. A
   * family revoked by this call gets a `family` revocation event and the audit record,
   * and the call answers true; for an unknown token, or one whose family is already
   * revoked, nothing is written (no audit record either) and it answers false.
   */
  revokeToken(policy: TenantStorePolicy, digest: string, audit: RevocationAudit): Promise<boolean>;
  /**
   * Revokes every token of the user issued up to now. Every bulk revocation writes its
   * event (scope, ids, watermark) in the same atomic step as its watermark and audit record.
   */
  revokeUser(policy: TenantStorePolicy, userId: string, audit: RevocationAudit): Promise<void>;
  /** Revokes every token issued up to now that names the audience. */
  revokeAudience(policy: TenantStorePolicy, audience: string, audit: RevocationAudit): Promise<void>;
  /** Revokes every token of the user issued up to now that names the audience. */
  revokeUserAudience(policy: TenantStorePolicy, userId: string, audience: string, audit: RevocationAudit): Promise<void>;
  /**
   * Stores tokens carried over from another service, each as the first token of its own
   * family, with a number from the tenant's issue sequence (so a later bulk revocation
   * reaches it) and its own expiry. Atomic per token and idempotent: a digest that has a
   * record is left as it is (`already`), except that a token revoked at the source since
   * it was imported is revoked here too (`revoked`). One outcome per token, in order.
   */
  importTokens(policy: TenantStorePolicy, tokens: readonly ImportedRefreshToken[]): Promise<ImportOutcome[]>;
  /** The state of each digest's record at `now`, in order; writes nothing (dry runs). */
  tokenStates(policy: TenantStorePolicy, digests: readonly string[], now: number): Promise<StoredTokenState[]>;
  /**
   * The tenant's most recent audit records, newest last (at most `count`). A store keeps
   * the newest AUDIT_RECORDS_PER_TENANT (audit-limit.ts); older ones are gone.
   */
  recentAudit(tenantId: string, count: number): Promise<RevocationAudit[]>;
  /**
   * The revocation state that applies to an access token (ValidateToken, ext_authz):
   * one store round trip, whatever the number of revocations.
   */
  revocationState(policy: TenantStorePolicy, query: RevocationQuery): Promise<RevocationState>;
}

/** The scopes of revocation events (RevocationEvent.scope on the wire, heartbeats apart). */
export type RevocationEventScope = 'family' | 'user' | 'audience' | 'user_audience' | 'api_key';

/**
 * One revocation as the event log keeps it. `cursor` orders the events of a tenant
 * (`<ms>-<n>`, a Redis stream id); fields that do not apply to the scope are empty (0).
 */
export interface RevocationEventRecord {
  readonly cursor: string;
  readonly scope: RevocationEventScope;
  readonly userId: string;
  readonly audience: string;
  readonly familyId: string;
  readonly apiKeyId: string;
  /** Scopes user, audience, user_audience: tokens with `rsq` at or below it are revoked. */
  readonly watermark: number;
  /** When the revocation was recorded (the service's clock, ms since the epoch). */
  readonly revokedAtMs: number;
}

/** Where a read of the event log starts. */
export type EventPosition =
  /** Strictly after this cursor, which must still be retained. */
  | { readonly after: string }
  /** Every retained event recorded at or after this time (ms since the epoch). */
  | { readonly since: number };

/** A page of the event log, or the news that the cursor asked for is not retained (or never was). */
export type EventPage =
  | { readonly kind: 'events'; readonly events: readonly RevocationEventRecord[] }
  | { readonly kind: 'cursor_unknown' };

/** Waits for new events of one tenant. Blocking reads never share the request path's connection. */
export interface EventTail {
  /**
   * Events strictly after `after` (`''`: every retained event), waiting up to `blockMs`
   * for the first one; `[]` when none came in that time.
   */
  next(after: string, blockMs: number): Promise<RevocationEventRecord[]>;
  /** Ends a pending `next` (it resolves `[]` or rejects) and frees what the tail holds. */
  close(): void;
}

/**
 * Revocation events of every tenant, in order, kept one event retention
 * ({@link TenantStorePolicy.eventRetentionMs}). Written only by the revocations of the
 * token store, in the same atomic step as the revocation itself; read by WatchRevocations.
 */
export interface RevocationEventLog {
  /** Up to `limit` events from `from`, oldest first. */
  read(policy: TenantStorePolicy, from: EventPosition, limit: number): Promise<EventPage>;
  /** The newest cursor, or `''` when the tenant has no retained event. */
  newest(policy: TenantStorePolicy): Promise<string>;
  /** A tail for one reader (its own connection on Redis). */
  tail(policy: TenantStorePolicy): EventTail;
}

/** A signing key as kept in the store: the private key is an opaque sealed blob. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly createdAt: number;
  /** When the key starts signing; it is published from creation (ADR 0003). */
  readonly activatesAt: number;
  /** When set, the key is unpublished at this time whatever its schedule (emergency retirement). */
  readonly expiresAt?: number | undefined;
  /** Sealed-key signer: the private JWK, serialised (and sealed when a key-encryption key is set). */
  readonly sealedPrivateKey?: string | undefined;
  /** PKCS#11 signer: the public JWK; the private key never leaves the token. */
  readonly publicJwk?: Readonly<Record<string, string>> | undefined;
  /** Integrity tag over the whole record, schedule included (ADR 0005); absent without a KEK. */
  readonly mac?: string | undefined;
}

/** Signing keys shared by every replica. */
export interface SigningKeyStore {
  /**
   * Returns the tenant's keys; when it has none, stores `candidate` first. Two replicas
   * starting together therefore end up with the same single key.
   */
  loadOrCreate(tenantId: string, candidate: StoredSigningKey): Promise<StoredSigningKey[]>;
  /** The tenant's keys, or an empty list. */
  list(tenantId: string): Promise<StoredSigningKey[]>;
  /** Adds or replaces keys (by kid). */
  put(tenantId: string, keys: readonly StoredSigningKey[]): Promise<void>;
  /** Deletes keys by kid. */
  remove(tenantId: string, kids: readonly string[]): Promise<void>;
}

/** A lease that at most one replica holds at a time (background jobs). */
export interface LockStore {
  /** Takes the lock for `ttlMs`; resolves with the owner token, or undefined when held elsewhere. */
  acquire(name: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lock if `owner` still holds it (compare-and-delete). */
  release(name: string, owner: string): Promise<void>;
}

/** What one reconciliation pass did to one tenant's data (doc/OPERATIONS.md, "The reconciler"). */
export interface ReconcileReport {
  /** Keys (Redis) or entries (memory) looked at. */
  readonly examined: number;
  /**
   * Entries brought back under "everything expires": Redis token records, family
   * markers and watermarks found without an expiry and given one; memory entries past
   * their expiry removed.
   */
  readonly fixed: number;
  /**
   * Redis keys under the tenant's prefix with no expiry that are neither token data nor
   * one of the per-tenant singletons (sequence, signing keys, audit stream). Left alone:
   * the reconciler only expires what it knows the lifetime of.
   */
  readonly unknown: number;
  /** Audit records removed by trimming the stream to its bound. */
  readonly auditTrimmed: number;
  /** False when the pass stopped at its budget (or was aborted); the next one continues. */
  readonly complete: boolean;
}

/** Background upkeep of a store: the reconciler's side of it. */
export interface MaintenanceStore {
  /**
   * One bounded pass over the tenant's data: gives an expiry to token data that lacks
   * one, trims the audit trail, drops what has expired. Safe to run concurrently with
   * traffic and with another pass.
   */
  reconcile(policy: TenantStorePolicy, signal?: AbortSignal): Promise<ReconcileReport>;
}

/** Liveness of the backing store, for readiness. */
export interface StoreHealth {
  ping(): Promise<void>;
}

/**
 * A sustained rate and a burst: `burst` calls may pass at once, then one every
 * `1 / perSecond` seconds (GCRA, the token bucket's equivalent). `perSecond` > 0.
 */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Whether one call may pass; when it may not, how long until one would. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Rate-limit budgets shared by every replica, one per key (a caller identity). A budget
 * that is full again is forgotten, so only callers that called lately hold memory.
 */
export interface RateLimitStore {
  /** Takes one call from the key's budget under `limit`; a refusal takes nothing. */
  take(key: string, limit: RateLimit): Promise<RateDecision>;
}

/** Everything the application needs from one storage backend. */
export interface Stores {
  readonly tokens: TokenStore;
  /** API keys (src/apikeys/): they share the tenant's sequence, audit trail and revocation events with the tokens. */
  readonly apiKeys: ApiKeyStore;
  readonly events: RevocationEventLog;
  readonly signingKeys: SigningKeyStore;
  readonly idempotency: IdempotencyStore;
  readonly locks: LockStore;
  readonly rateLimits: RateLimitStore;
  readonly dpopReplay: DpopReplayStore;
  readonly maintenance: MaintenanceStore;
  readonly health: StoreHealth;
  close(): Promise<void>;
}

/** What a claim on an idempotency record found. */
export type IdempotencyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'pending' }
  | { readonly kind: 'completed'; readonly record: string };

/**
 * Idempotency records, by an opaque id (a digest: the client's key is never stored).
 * A claim is a pending record owned by one request; it is promoted to a completed
 * record, or released so an immediate retry can run.
 */
export interface IdempotencyStore {
  /** Takes the record if absent (pending, `ttlMs`), else reports what is there. */
  claim(id: string, owner: string, ttlMs: number): Promise<IdempotencyClaim>;
  /** Replaces the owner's pending claim with the completed record; false if the claim was lost. */
  complete(id: string, owner: string, record: string, ttlMs: number): Promise<boolean>;
  /** Deletes the owner's pending claim (no-op when it is not the owner's any more). */
  release(id: string, owner: string): Promise<void>;
}

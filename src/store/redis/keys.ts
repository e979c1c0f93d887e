/**
 * The one place Redis key names are built.
 *
 * Every tenant's token data shares the hash tag `{<tenant>}` so that one Lua script
 * can touch a token, its family marker, the revocation watermarks and the audit stream
 * together on Redis Cluster (doc/adr/0001-token-data-model.md). Ids are base64url
 * encoded: the encoding is injective and never contains `:`, `{` or `}`, so
 * (user "a:b", audience "c") and (user "a", audience "b:c") can never share a key.
 */
const ROOT = 'te';

/** Injective, separator-free encoding of a caller-chosen id. */
export function encodeId(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/**
 * The kinds of per-token key, by what follows the tenant prefix. The reconciler tells
 * them from the per-tenant singletons (`seq`, `hwm`, `keys`, `audit`, `events`) by these.
 * (The per-user family sets, `uf:`, always carry an expiry: no kind is needed for them.)
 */
export const TOKEN_KEY_KINDS = {
  /** Refresh-token record (hash); expires at its `exp` field. */
  record: 'rt:',
  /** Family-revoked marker; lives one refresh lifetime, or until the refresh high-water mark when later. */
  familyMarker: 'fr:',
  /** Revocation watermark (user, audience, user+audience); lives as long as a family marker. */
  watermark: 'rv:',
} as const;

/**
 * What every API-key key starts with after the tenant prefix (`ak:`, `akr:`, `ako:`,
 * `akl`): the reconciler leaves these alone, since a key that never expires has no TTL.
 */
export const API_KEY_KIND = 'ak';

/**
 * Escapes the glob metacharacters of Redis `MATCH` patterns (`*`, `?`, `[`, `]` and the
 * escape `\` itself: `stringmatchlen` in Redis's util.c knows no others), so `text`
 * matches only itself. Braces are literal to the matcher and are left as they are on
 * purpose: on Redis Cluster, a pattern whose first `{…}` names a hash tag lets SCAN and
 * KEYS walk only that tag's slot (redis/redis#12536, #12754), and the server gives that
 * up as soon as it meets any backslash before the tag.
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

const keysByTenant = new Map<string, TenantKeys>();

/**
 * The key names of a tenant, built once per tenant: the stores ask on every call. Tenant
 * ids come from configuration (a call naming an unknown tenant never reaches a store), so
 * the map stays as small as the tenant list.
 */
export function tenantKeys(tenantId: string): TenantKeys {
  let keys = keysByTenant.get(tenantId);
  if (keys === undefined) {
    keys = new TenantKeys(tenantId);
    keysByTenant.set(tenantId, keys);
  }
  return keys;
}

/** Key names of one tenant. */
export class TenantKeys {
  /** `te:{<tenant>}:` — every key below starts with it. */
  readonly prefix: string;

  constructor(readonly tenantId: string) {
    this.prefix = `${ROOT}:{${encodeId(tenantId)}}:`;
  }

  /** `SCAN MATCH` pattern for every key of this tenant and no other's. */
  pattern(): string {
    return `${escapeGlob(this.prefix)}*`;
  }
  /** Hash: one refresh token, by digest. */
  refreshToken(digest: string): string {
    return `${this.prefix}${TOKEN_KEY_KINDS.record}${digest}`;
  }
  /** Marker: the family is revoked. */
  familyRevoked(familyId: string): string {
    return `${this.prefix}${TOKEN_KEY_KINDS.familyMarker}${familyId}`;
  }
  /** Counter: the tenant's issue sequence. */
  sequence(): string {
    return `${this.prefix}seq`;
  }
  /**
   * String: the latest refresh-token expiry (ms) written for the tenant; only rises, and
   * expires at its own value. Revocation markers live at least until it.
   */
  refreshHighWater(): string {
    return `${this.prefix}hwm`;
  }
  /**
   * Sorted set: the user's live refresh-token families, scored by their current expiry
   * (the per-user cap); expires with its latest family.
   */
  userFamilies(userId: string): string {
    return `${this.prefix}uf:${encodeId(userId)}`;
  }
  /** Watermark: tokens of the user at or below it are revoked. */
  userWatermark(userId: string): string {
    return `${this.prefix}${TOKEN_KEY_KINDS.watermark}u:${encodeId(userId)}`;
  }
  /** Watermark: tokens naming the audience at or below it are revoked. */
  audienceWatermark(audience: string): string {
    return `${this.prefix}${TOKEN_KEY_KINDS.watermark}a:${encodeId(audience)}`;
  }
  /** Watermark: tokens of the user naming the audience at or below it are revoked. */
  userAudienceWatermark(userId: string, audience: string): string {
    return `${this.prefix}${TOKEN_KEY_KINDS.watermark}ua:${encodeId(userId)}:${encodeId(audience)}`;
  }
  /** Every watermark that can revoke a token of this subject and audiences. */
  watermarksFor(subject: string, audiences: readonly string[]): string[] {
    const keys = [this.userWatermark(subject)];
    for (const audience of new Set(audiences)) {
      keys.push(this.audienceWatermark(audience), this.userAudienceWatermark(subject, audience));
    }
    return keys;
  }
  /** Stream: revocation audit records. */
  audit(): string {
    return `${this.prefix}audit`;
  }
  /** Stream: revocation events (WatchRevocations); trimmed to, and expiring after, one event retention. */
  events(): string {
    return `${this.prefix}events`;
  }
  /**
   * Marker: a DPoP proof id seen for a key thumbprint (base64url, so it never holds a
   * separator); lives one proof acceptance window.
   */
  dpopJti(jkt: string, jti: string): string {
    return `${this.prefix}dp:${jkt}:${encodeId(jti)}`;
  }
  /** Hash: one API key (metadata and the keyed digest of its secret), by key id; expires with the key. */
  apiKey(keyId: string): string {
    return `${this.prefix}ak:${keyId}`;
  }
  /** Marker: the API key is revoked (ValidateToken reads it with the token's other revocation state). */
  apiKeyRevoked(keyId: string): string {
    return `${this.prefix}akr:${keyId}`;
  }
  /** Sorted set: one owner's API keys in creation order (the ListApiKeys cursor). */
  apiKeyOwner(owner: string): string {
    return `${this.prefix}ako:${encodeId(owner)}`;
  }
  /** Sorted set: the tenant's live API keys by expiry (the live-keys gauge). */
  apiKeysLive(): string {
    return `${this.prefix}akl`;
  }
  /** Hash: signing keys by kid. */
  signingKeys(): string {
    return `${this.prefix}keys`;
  }
}

/**
 * An idempotency record. Its id is a digest derived from the client's key and the
 * request scope; it gets its own hash tag because nothing else is touched with it.
 */
export function idempotencyKey(id: string): string {
  return `${ROOT}:idem:{${id}}`;
}

/** A background-job lock. Its own hash tag: it is never touched with other keys. */
export function lockKey(name: string): string {
  return `${ROOT}:lock:{${encodeId(name)}}`;
}

/**
 * A caller's rate-limit budget (its theoretical arrival time). Its own hash tag per
 * caller: the one script that reads and writes it touches nothing else.
 */
export function rateLimitKey(callerIdentity: string): string {
  return `${ROOT}:rl:{${encodeId(callerIdentity)}}`;
}

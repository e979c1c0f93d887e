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

/** Key names of one tenant. */
export class TenantKeys {
  /** `te:{<tenant>}:` — every key below starts with it. */
  readonly prefix: string;

  constructor(readonly tenantId: string) {
    this.prefix = `${ROOT}:{${encodeId(tenantId)}}:`;
  }

  /** Hash: one refresh token, by digest. */
  refreshToken(digest: string): string {
    return `${this.prefix}rt:${digest}`;
  }
  /** Marker: the family is revoked. */
  familyRevoked(familyId: string): string {
    return `${this.prefix}fr:${familyId}`;
  }
  /** Counter: the tenant's issue sequence. */
  sequence(): string {
    return `${this.prefix}seq`;
  }
  /** Watermark: tokens of the user at or below it are revoked. */
  userWatermark(userId: string): string {
    return `${this.prefix}rv:u:${encodeId(userId)}`;
  }
  /** Watermark: tokens naming the audience at or below it are revoked. */
  audienceWatermark(audience: string): string {
    return `${this.prefix}rv:a:${encodeId(audience)}`;
  }
  /** Watermark: tokens of the user naming the audience at or below it are revoked. */
  userAudienceWatermark(userId: string, audience: string): string {
    return `${this.prefix}rv:ua:${encodeId(userId)}:${encodeId(audience)}`;
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

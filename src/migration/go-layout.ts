/**
 * The Go token-engine's Redis layout (jwtauth's RedisRefreshStore and RedisKeyStore): key
 * names and how their values read. The tenant id is the key prefix with no separator
 * (tenant `local-dev` → `local-devtokens:<token>`):
 *
 * - `<T>tokens:<raw token>` hash: `userID`, `expiresAt` and `createdAt` (Unix ms,
 *   decimal), `revoked` (`true`/`false`), `metadata` (JSON object of claims, or ""),
 *   `audience` (JSON array, or "");
 * - `<T>user_tokens:<user>`, `<T>audience_tokens:<aud>`, `<T>audience_user_tokens:<aud>:<user>`
 *   sets and the `<T>token_expiry_index` sorted set, all of raw tokens;
 * - `<T>ks:pem:<kid>` (PKCS#1 PEM, unencrypted) and `<T>ks:meta:<kid>` (JSON
 *   `{"created_at","expires_at","id"}`, RFC 3339 with up to 9 fractional digits; year 1 is
 *   "no expiry");
 * - `idempotency:<T>:IssueToken:<key>` and `idempotency:<T>:RefreshToken:<key>`: cached
 *   token pairs, raw refresh tokens included.
 */
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { audiences as audiencesSchema, claims as claimsSchema, identifier } from '../grpc/fields.js';
import { escapeGlob } from '../store/redis/keys.js';
import { RESERVED_CLAIMS } from '../tokens/claims.js';
import { hasRefreshTokenShape } from '../tokens/refresh-token.js';

/** What follows the tenant id in each key of the Go layout. */
export const GO_KEY_KINDS = {
  token: 'tokens:',
  userIndex: 'user_tokens:',
  audienceIndex: 'audience_tokens:',
  audienceUserIndex: 'audience_user_tokens:',
  expiryIndex: 'token_expiry_index',
  keyPem: 'ks:pem:',
  keyMeta: 'ks:meta:',
} as const;

/** What follows the tenant id in the Go service's idempotency keys (`idempotency:<T>…`). */
const GO_IDEMPOTENCY_KINDS = [':IssueToken:', ':RefreshToken:'] as const;

/** jwtauth's kid rule (ADR-004 there): a lowercase 8-4-4-4-12 hex UUID. */
const GO_KID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Key names and `SCAN MATCH` patterns of one tenant in the Go layout. */
export class GoTenantKeys {
  private readonly glob: string;

  constructor(readonly tenantId: string) {
    this.glob = escapeGlob(tenantId);
  }

  /** Every refresh-token hash of the tenant (and possibly other keys: check each name). */
  tokenPattern(): string {
    return `${this.glob}${GO_KEY_KINDS.token}*`;
  }
  /** The raw refresh token a key names, or undefined when it is not a Go refresh-token key. */
  rawTokenOf(key: string): string | undefined {
    const head = `${this.tenantId}${GO_KEY_KINDS.token}`;
    if (!key.startsWith(head)) return undefined;
    const raw = key.slice(head.length);
    return hasRefreshTokenShape(raw) ? raw : undefined;
  }
  token(raw: string): string {
    return `${this.tenantId}${GO_KEY_KINDS.token}${raw}`;
  }
  userIndex(userId: string): string {
    return `${this.tenantId}${GO_KEY_KINDS.userIndex}${userId}`;
  }
  audienceIndex(audience: string): string {
    return `${this.tenantId}${GO_KEY_KINDS.audienceIndex}${audience}`;
  }
  /** Audience first, joined with an unescaped `:` (as the Go service writes it). */
  audienceUserIndex(audience: string, userId: string): string {
    return `${this.tenantId}${GO_KEY_KINDS.audienceUserIndex}${audience}:${userId}`;
  }
  expiryIndex(): string {
    return `${this.tenantId}${GO_KEY_KINDS.expiryIndex}`;
  }
  /** The three kinds of index set (user, audience, audience+user). */
  indexPatterns(): string[] {
    return [GO_KEY_KINDS.userIndex, GO_KEY_KINDS.audienceIndex, GO_KEY_KINDS.audienceUserIndex].map((k) => `${this.glob}${k}*`);
  }
  keyPemPattern(): string {
    return `${this.glob}${GO_KEY_KINDS.keyPem}*`;
  }
  /** The kid a PEM key names, or undefined when it is not a Go signing-key name. */
  kidOf(key: string): string | undefined {
    const head = `${this.tenantId}${GO_KEY_KINDS.keyPem}`;
    if (!key.startsWith(head)) return undefined;
    const kid = key.slice(head.length);
    return GO_KID.test(kid) ? kid : undefined;
  }
  keyPem(kid: string): string {
    return `${this.tenantId}${GO_KEY_KINDS.keyPem}${kid}`;
  }
  keyMeta(kid: string): string {
    return `${this.tenantId}${GO_KEY_KINDS.keyMeta}${kid}`;
  }
  /** The Go service's cached answers of IssueToken and RefreshToken for the tenant. */
  idempotencyPatterns(): string[] {
    return GO_IDEMPOTENCY_KINDS.map((k) => `idempotency:${this.glob}${escapeGlob(k)}*`);
  }
}

/**
 * The configured tenants whose Go keys could match the patterns of `tenantId`, or whose
 * patterns could match its keys. With no separator after the tenant id, that happens when
 * one id is the other plus a suffix that lines up with a key kind: `x` and `xuser_`
 * (`xuser_tokens:<token>` is tenant `xuser_`'s token and tenant `x`'s index set of user
 * `<token>`). `acme` and `acme-eu` never do: no key kind starts with `-`.
 */
export function collidingTenants(tenantId: string, tenantIds: readonly string[]): string[] {
  return tenantIds.filter((other) => {
    if (other === tenantId) return false;
    const extra = other.startsWith(tenantId)
      ? other.slice(tenantId.length)
      : tenantId.startsWith(other)
        ? tenantId.slice(other.length)
        : undefined;
    if (extra === undefined) return false;
    return layoutsOverlap(extra, Object.values(GO_KEY_KINDS)) || layoutsOverlap(extra, GO_IDEMPOTENCY_KINDS);
  });
}

/**
 * Whether, for tenants `S` and `S + extra`, a pattern `<tenant><kind>*` of one can match a
 * key `<tenant><kind'><id>` of the other, ids being free-form.
 */
function layoutsOverlap(extra: string, kinds: readonly string[]): boolean {
  const overlap = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);
  // Patterns of S against keys of S + extra: `extra kind' id` must start with `kind`.
  for (const kind of kinds) {
    if (extra.startsWith(kind)) return true;
    if (kind.startsWith(extra) && kinds.some((other) => overlap(other, kind.slice(extra.length)))) return true;
  }
  // Patterns of S + extra against keys of S: `kind' id` must start with `extra kind`.
  return kinds.some((kind) => kinds.some((other) => overlap(other, extra + kind)));
}

/** Where the Go service listed a token: its user and audiences, as far as they could be read. */
export interface GoTokenIndex {
  readonly userId?: string | undefined;
  readonly audiences: readonly string[];
}

/** A Go refresh-token hash as read. */
export type GoToken =
  | {
      readonly kind: 'live';
      readonly subject: string;
      /** As stored; empty when the Go service stored none (it then used the tenant's default). */
      readonly audiences: readonly string[];
      readonly claims: Readonly<Record<string, string>>;
      readonly issuedAt: number;
      readonly expiresAt: number;
      readonly revoked: boolean;
      readonly index: GoTokenIndex;
    }
  | { readonly kind: 'expired'; readonly index: GoTokenIndex }
  | { readonly kind: 'malformed'; readonly reason: string; readonly index: GoTokenIndex };

const MILLISECONDS = /^\d{1,16}$/;
const subjectSchema = identifier('userID');

/**
 * Reads the fields of a `<T>tokens:<raw>` hash. Expired means `expiresAt ≤ now` (the Go
 * rule). Reserved claim names in `metadata` are dropped, as the Go service dropped them
 * from the access tokens it signed; other problems (a missing field, a value our API
 * would refuse) make the token malformed, with the reason.
 */
export function parseGoToken(fields: Readonly<Record<string, string>>, now: number): GoToken {
  const audiences = parseAudiences(fields['audience']);
  const userId = fields['userID'];
  const index: GoTokenIndex = { userId, audiences: Array.isArray(audiences) ? audiences : [] };
  const malformed = (reason: string): GoToken => ({ kind: 'malformed', reason, index });
  if (userId === undefined) return malformed('no userID field (a revocation left behind after the token expired?)');
  const expires = fields['expiresAt'] ?? '';
  if (!MILLISECONDS.test(expires)) return malformed('expiresAt is not a time in milliseconds');
  const expiresAt = Number(expires);
  if (expiresAt <= now) return { kind: 'expired', index };
  const created = fields['createdAt'] ?? '';
  if (!MILLISECONDS.test(created)) return malformed('createdAt is not a time in milliseconds');
  const revoked = fields['revoked'];
  if (revoked !== 'true' && revoked !== 'false') return malformed('revoked is neither "true" nor "false"');
  if (!Array.isArray(audiences)) return malformed(audiences);
  const claims = parseClaims(fields['metadata']);
  if (typeof claims === 'string') return malformed(claims);
  const problem = firstProblem(subjectSchema.safeParse(userId)) ?? firstProblem(audiencesSchema.safeParse(audiences));
  if (problem) return malformed(problem);
  return {
    kind: 'live',
    subject: userId,
    audiences,
    claims,
    issuedAt: Number(created),
    expiresAt,
    revoked: revoked === 'true',
    index,
  };
}

/** The `audience` field: "" (or absent) is none; else a JSON array of strings. A string is the problem. */
function parseAudiences(text: string | undefined): string[] | string {
  if (text === undefined || text === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'audience is not JSON';
  }
  if (value === null) return [];
  if (!Array.isArray(value) || !value.every((a) => typeof a === 'string')) return 'audience is not a JSON array of strings';
  return value;
}

/** The `metadata` field: "" or `null` is no claims; else a JSON object of strings. A string is the problem. */
function parseClaims(text: string | undefined): Record<string, string> | string {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'metadata is not JSON';
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return 'metadata is not a JSON object';
  const claims: Record<string, string> = {};
  for (const [name, claim] of Object.entries(value)) {
    if (RESERVED_CLAIMS.has(name)) continue;
    if (typeof claim !== 'string') return `metadata claim ${JSON.stringify(name)} is not a string`;
    claims[name] = claim;
  }
  return firstProblem(claimsSchema.safeParse(claims)) ?? claims;
}

function firstProblem(result: { success: boolean; error?: { issues: readonly { message: string }[] } }): string | undefined {
  return result.success ? undefined : (result.error?.issues[0]?.message ?? 'invalid');
}

/** A Go signing key as read: the private key as a JWK, and its times. */
export interface GoSigningKey {
  readonly kid: string;
  /** The private RSA key (Node's JWK export: kty, n, e, d, p, q, dp, dq, qi). */
  readonly privateJwk: JsonWebKey;
  readonly createdAt: number;
  /** When the Go service stopped publishing it; undefined for "no expiry" (it may still sign). */
  readonly expiresAt?: number | undefined;
}

/** The smallest RSA modulus we sign or verify with (RS256; the Go service generates 2048). */
const MIN_RSA_BITS = 2048;

/** Reads a `ks:pem:<kid>` / `ks:meta:<kid>` pair; a string is the reason it cannot be used. */
export function parseGoKey(kid: string, pem: string, metaText: string | undefined): GoSigningKey | string {
  if (metaText === undefined) return 'no ks:meta entry (the Go service skips such keys too)';
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    return 'ks:meta is not JSON';
  }
  if (typeof meta !== 'object' || meta === null) return 'ks:meta is not a JSON object';
  const { created_at: created, expires_at: expires, id } = meta as Record<string, unknown>;
  if (id !== kid) return 'ks:meta names another kid';
  const createdAt = typeof created === 'string' ? parseGoTime(created) : null;
  if (createdAt === null || createdAt === 'zero') return 'ks:meta created_at is not an RFC 3339 time';
  const expiresAt = typeof expires === 'string' ? parseGoTime(expires) : expires === undefined ? 'zero' : null;
  if (expiresAt === null) return 'ks:meta expires_at is not an RFC 3339 time';
  let privateJwk: JsonWebKey;
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') return 'ks:pem is not an RSA key';
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
      return `ks:pem is an RSA key shorter than ${MIN_RSA_BITS} bits`;
    privateJwk = key.export({ format: 'jwk' });
  } catch {
    return 'ks:pem is not a PEM private key';
  }
  return { kid, privateJwk, createdAt, expiresAt: expiresAt === 'zero' ? undefined : expiresAt };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A Go `time.Time` as JSON writes it (RFC 3339, up to nanoseconds, any offset), in ms
 * since the epoch; `zero` for Go's zero time (year 1); null when it does not parse.
 */
export function parseGoTime(text: string): number | 'zero' | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [, seconds = '', fraction = '', offset = 'Z'] = match;
  if (seconds.startsWith('0001-')) return 'zero';
  const ms = fraction.padEnd(3, '0').slice(0, 3);
  const at = Date.parse(`${seconds}.${ms}${offset}`);
  return Number.isFinite(at) ? at : null;
}

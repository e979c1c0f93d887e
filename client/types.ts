/**
 * The client's camelCase shapes and their mapping to the wire messages. The wire types
 * come from `src/generated` (proto-loader-gen-types output), so a renamed proto field
 * breaks this file at compile time rather than at run time.
 */
import type { IssueTokenRequest as WireIssueTokenRequest } from '../src/generated/token/v1/IssueTokenRequest.js';
import type { RefreshTokenRequest as WireRefreshTokenRequest } from '../src/generated/token/v1/RefreshTokenRequest.js';
import type { RevokeAudienceRequest as WireRevokeAudienceRequest } from '../src/generated/token/v1/RevokeAudienceRequest.js';
import type { RevokeTokenRequest as WireRevokeTokenRequest } from '../src/generated/token/v1/RevokeTokenRequest.js';
import type { RevokeUserAndAudienceRequest as WireRevokeUserAndAudienceRequest } from '../src/generated/token/v1/RevokeUserAndAudienceRequest.js';
import type { RevokeUserRequest as WireRevokeUserRequest } from '../src/generated/token/v1/RevokeUserRequest.js';
import type { TokenPair__Output as WireTokenPair } from '../src/generated/token/v1/TokenPair.js';
import type { RevocationEvent__Output as WireRevocationEvent } from '../src/generated/token/v1/RevocationEvent.js';
import type { ValidateTokenRequest as WireValidateTokenRequest } from '../src/generated/token/v1/ValidateTokenRequest.js';
import type { ValidateTokenResponse__Output as WireValidateTokenResponse } from '../src/generated/token/v1/ValidateTokenResponse.js';
import type { WatchRevocationsRequest as WireWatchRevocationsRequest } from '../src/generated/token/v1/WatchRevocationsRequest.js';

export type {
  WireIssueTokenRequest,
  WireRefreshTokenRequest,
  WireRevokeAudienceRequest,
  WireRevokeTokenRequest,
  WireRevokeUserAndAudienceRequest,
  WireRevokeUserRequest,
  WireTokenPair,
  WireRevocationEvent,
  WireValidateTokenRequest,
  WireValidateTokenResponse,
  WireWatchRevocationsRequest,
};

/**
 * A DPoP proof (RFC 9449) as forwarded to the service: the compact JWS of the client's
 * `DPoP` header and the HTTP method and URL it was made for (`createDpopProver` makes one).
 */
export interface DpopProof {
  readonly proof: string;
  readonly htm: string;
  readonly htu: string;
}

/** Custom claims: each becomes a top-level string claim of the access token. */
export type Claims = Readonly<Record<string, string>>;

/** IssueToken: a new access + refresh token pair for `sub` in `tenantId`. */
export interface IssueTokenRequest {
  readonly tenantId: string;
  readonly sub: string;
  /** `aud` of the access token; the tenant's default audience when absent or empty. */
  readonly audiences?: readonly string[];
  readonly claims?: Claims;
  /** Binds the pair to the proof's key: the access token gets `cnf.jkt`, every refresh needs a proof by it. */
  readonly dpop?: DpopProof;
}

/** RefreshToken: consumes `refreshToken` and returns a new pair (rotation). */
export interface RefreshTokenRequest {
  readonly tenantId: string;
  readonly refreshToken: string;
  /** Claims of the new access token; when absent, the claims stored at issue time carry over. */
  readonly claims?: Claims;
  /** Required, by the bound key, when the family was issued with a proof. */
  readonly dpop?: DpopProof;
}

/** RevokeToken: revokes one refresh token; revoking an unknown one succeeds (RFC 7009). */
export interface RevokeTokenRequest {
  readonly tenantId: string;
  readonly refreshToken: string;
}

/** RevokeAllForAudience: every refresh token of the tenant issued for `audience` so far. */
export interface RevokeAudienceRequest {
  readonly tenantId: string;
  readonly audience: string;
}

/** RevokeAllUserTokens: every refresh token of `userId` in the tenant issued so far. */
export interface RevokeUserRequest {
  readonly tenantId: string;
  readonly userId: string;
}

/** RevokeAllForUserAndAudience: the refresh tokens of `userId` issued for `audience` so far. */
export interface RevokeUserAndAudienceRequest {
  readonly tenantId: string;
  readonly userId: string;
  readonly audience: string;
}

/** An access token (JWT) and its refresh token; lifetimes are the remaining seconds. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessTokenExpiresIn: number;
  readonly refreshTokenExpiresIn: number;
}

/** The wire IssueTokenRequest. The deprecated `idempotency_key` field is never set: the client sends the header. */
export function toWireIssue(req: IssueTokenRequest): WireIssueTokenRequest {
  return {
    tenant_id: req.tenantId,
    sub: req.sub,
    audiences: [...(req.audiences ?? [])],
    claims: { ...req.claims },
    ...(req.dpop ? { dpop: { ...req.dpop } } : {}),
  };
}

/** The wire RefreshTokenRequest. */
export function toWireRefresh(req: RefreshTokenRequest): WireRefreshTokenRequest {
  return {
    tenant_id: req.tenantId,
    refresh_token: req.refreshToken,
    claims: { ...req.claims },
    ...(req.dpop ? { dpop: { ...req.dpop } } : {}),
  };
}

/** The wire RevokeTokenRequest. */
export function toWireRevokeToken(req: RevokeTokenRequest): WireRevokeTokenRequest {
  return { tenant_id: req.tenantId, refresh_token: req.refreshToken };
}

/** The wire RevokeAudienceRequest. */
export function toWireRevokeAudience(req: RevokeAudienceRequest): WireRevokeAudienceRequest {
  return { tenant_id: req.tenantId, audience: req.audience };
}

/** The wire RevokeUserRequest. */
export function toWireRevokeUser(req: RevokeUserRequest): WireRevokeUserRequest {
  return { tenant_id: req.tenantId, user_id: req.userId };
}

/** The wire RevokeUserAndAudienceRequest. */
export function toWireRevokeUserAndAudience(req: RevokeUserAndAudienceRequest): WireRevokeUserAndAudienceRequest {
  return { tenant_id: req.tenantId, user_id: req.userId, audience: req.audience };
}

/** The friendly TokenPair; int64 lifetimes arrive as numbers (loader option `longs: Number`). */
export function fromWireTokenPair(pair: WireTokenPair): TokenPair {
  return {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    accessTokenExpiresIn: Number(pair.access_token_expires_in),
    refreshTokenExpiresIn: Number(pair.refresh_token_expires_in),
  };
}

/** ValidateToken: is this access token active now, on the service's own terms (signature, times, revocation)? */
export interface ValidateTokenRequest {
  readonly tenantId: string;
  readonly accessToken: string;
  /** When set, the token must name this audience. */
  readonly audience?: string;
  /** The proof the resource request came with; required for a DPoP-bound token. */
  readonly dpop?: DpopProof;
}

/**
 * Why an access token is not active (ValidateToken's `reason`): `malformed`,
 * `bad_signature`, `unknown_key`, `expired`, `not_yet_valid`, `wrong_issuer`,
 * `wrong_audience`, `revoked`, `dpop_required`, `dpop_invalid`.
 */
export type InactiveReason =
  | 'malformed'
  | 'bad_signature'
  | 'unknown_key'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'revoked'
  | 'dpop_required'
  | 'dpop_invalid';

/** What ValidateToken says about a token. An inactive token carries only its reason. */
export type TokenValidation =
  | {
      readonly active: true;
      readonly sub: string;
      readonly audiences: readonly string[];
      /** Seconds since the epoch. */
      readonly issuedAt: number;
      /** Seconds since the epoch. */
      readonly expiresAt: number;
      readonly jti: string;
      /** The custom claims. */
      readonly claims: Claims;
      /** `cnf.jkt` of a sender-constrained token, else `''`. */
      readonly dpopJkt: string;
      /** The API key that minted the token, else `''`. */
      readonly apiKeyId: string;
    }
  | { readonly active: false; readonly reason: InactiveReason };

/** WatchRevocations: the tenant's revocations as they happen, after `after` when resuming. */
export interface WatchRevocationsRequest {
  readonly tenantId: string;
  /** The cursor of the last event seen; empty or absent: the events of the last access-token lifetime. */
  readonly after?: string;
}

/** The scope of a revocation event; `heartbeat` is not a revocation (liveness, and "caught up" after the backlog). */
export type RevocationScope = 'family' | 'user' | 'audience' | 'user_audience' | 'api_key' | 'heartbeat';

/** One revocation (or heartbeat) of a WatchRevocations stream. */
export interface RevocationEvent {
  /** Resume after this (a heartbeat carries the cursor of the last event before it, or `''`). */
  readonly cursor: string;
  readonly scope: RevocationScope;
  readonly userId: string;
  readonly audience: string;
  /** Scope `family`: the `sid` claim of every access token of the family. */
  readonly familyId: string;
  /** Scope `api_key`: the `akid` claim of the tokens the key minted. */
  readonly apiKeyId: string;
  /** Scopes `user`, `audience`, `user_audience`: tokens with `rsq` at or below it are revoked. */
  readonly watermark: number;
  /** When the revocation was recorded (heartbeat: when it was sent), ms since the epoch. */
  readonly revokedAtMs: number;
}

/** The wire ValidateTokenRequest. */
export function toWireValidate(req: ValidateTokenRequest): WireValidateTokenRequest {
  return {
    tenant_id: req.tenantId,
    access_token: req.accessToken,
    audience: req.audience ?? '',
    ...(req.dpop ? { dpop: { ...req.dpop } } : {}),
  };
}

/** The friendly validation: an inactive token keeps only its reason. */
export function fromWireValidation(res: WireValidateTokenResponse): TokenValidation {
  if (!res.active) return { active: false, reason: res.reason as InactiveReason };
  return {
    active: true,
    sub: res.sub,
    audiences: [...res.audiences],
    issuedAt: Number(res.issued_at),
    expiresAt: Number(res.expires_at),
    jti: res.jti,
    claims: { ...res.claims },
    dpopJkt: res.dpop_jkt,
    apiKeyId: res.api_key_id,
  };
}

/** The wire WatchRevocationsRequest. */
export function toWireWatch(req: WatchRevocationsRequest): WireWatchRevocationsRequest {
  return { tenant_id: req.tenantId, after: req.after ?? '' };
}

/** The friendly revocation event. */
export function fromWireEvent(e: WireRevocationEvent): RevocationEvent {
  return {
    cursor: e.cursor,
    scope: e.scope as RevocationScope,
    userId: e.user_id,
    audience: e.audience,
    familyId: e.family_id,
    apiKeyId: e.api_key_id,
    watermark: Number(e.watermark),
    revokedAtMs: Number(e.revoked_at_ms),
  };
}

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

export type {
  WireIssueTokenRequest,
  WireRefreshTokenRequest,
  WireRevokeAudienceRequest,
  WireRevokeTokenRequest,
  WireRevokeUserAndAudienceRequest,
  WireRevokeUserRequest,
  WireTokenPair,
};

/** Custom claims: each becomes a top-level string claim of the access token. */
export type Claims = Readonly<Record<string, string>>;

/** IssueToken: a new access + refresh token pair for `sub` in `tenantId`. */
export interface IssueTokenRequest {
  readonly tenantId: string;
  readonly sub: string;
  /** `aud` of the access token; the tenant's default audience when absent or empty. */
  readonly audiences?: readonly string[];
  readonly claims?: Claims;
}

/** RefreshToken: consumes `refreshToken` and returns a new pair (rotation). */
export interface RefreshTokenRequest {
  readonly tenantId: string;
  readonly refreshToken: string;
  /** Claims of the new access token; when absent, the claims stored at issue time carry over. */
  readonly claims?: Claims;
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
  return { tenant_id: req.tenantId, sub: req.sub, audiences: [...(req.audiences ?? [])], claims: { ...req.claims } };
}

/** The wire RefreshTokenRequest. */
export function toWireRefresh(req: RefreshTokenRequest): WireRefreshTokenRequest {
  return { tenant_id: req.tenantId, refresh_token: req.refreshToken, claims: { ...req.claims } };
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

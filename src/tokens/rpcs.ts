import * as z from 'zod';
import type { TokenEngineDefinition } from '../generated/token/v1/TokenEngine.js';
import type { TokenPair } from '../generated/token/v1/TokenPair.js';
import { announceDpopNonce, dpopKeyFingerprint } from '../dpop/verifier.js';
import { audiences, claims, dpopProof, idempotencyKey, identifier, refreshToken, tenantId } from '../grpc/fields.js';
import { rpcsOf } from '../grpc/rpc.js';
import type { IssuedPair, TokenService } from './token-service.js';

/** Descriptor builders of the `token.v1.TokenEngine` service. */
export const tokenEngine = rpcsOf<TokenEngineDefinition>('token.v1.TokenEngine');

// Field order matters: the first failing field is the one reported, tenant first (upstream).

const IssueTokenRequest = z.strictObject({
  tenant_id: tenantId,
  sub: identifier('sub'),
  idempotency_key: idempotencyKey,
  claims,
  audiences,
  dpop: dpopProof,
});
const RefreshTokenRequest = z.strictObject({
  tenant_id: tenantId,
  refresh_token: refreshToken,
  idempotency_key: idempotencyKey,
  claims,
  dpop: dpopProof,
});
const RevokeTokenRequest = z.strictObject({ tenant_id: tenantId, refresh_token: refreshToken });
const RevokeAudienceRequest = z.strictObject({ tenant_id: tenantId, audience: identifier('audience') });
const RevokeUserRequest = z.strictObject({ tenant_id: tenantId, user_id: identifier('user_id') });
const RevokeUserAndAudienceRequest = z.strictObject({
  tenant_id: tenantId,
  user_id: identifier('user_id'),
  audience: identifier('audience'),
});

/** Claims in key order: the same map is the same fingerprint however the client ordered it. */
const sortedClaims = (map: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The fingerprint part of a proof: nothing without one (so requests without DPoP keep the
 * fingerprints they always had), else the key it names.
 */
const dpopKey = (dpop: { proof?: string } | null | undefined): string[] => (dpop ? ['dpop', dpopKeyFingerprint(dpop.proof)] : []);

function wirePair(pair: IssuedPair): TokenPair {
  return {
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    access_token_expires_in: pair.accessTokenExpiresIn,
    refresh_token_expires_in: pair.refreshTokenExpiresIn,
  };
}

/** A replayed pair is handed out again only while nothing revoked it since */
const checkReplay = (tokens: TokenService, m: { tenant_id: string }, response: TokenPair): Promise<void> =>
  tokens.checkReplay(m.tenant_id, response.access_token ?? '');

export const issueToken = tokenEngine.unary('IssueToken', {
  schema: IssueTokenRequest,
  idempotency: {
    fingerprint: (m) => [m.sub, m.tenant_id, sortedClaims(m.claims ?? {}), m.audiences ?? [], ...dpopKey(m.dpop)],
    checkReplay,
  },
  handle: async (tokens: TokenService, req, call) => {
    if (req.dpop) announceDpopNonce(call, tokens.dpopNonce());
    return wirePair(
      await tokens.issue({
        tenantId: req.tenant_id,
        subject: req.sub,
        audiences: req.audiences,
        claims: req.claims,
        dpop: req.dpop ?? undefined,
      }),
    );
  },
});

export const refreshTokenRpc = tokenEngine.unary('RefreshToken', {
  schema: RefreshTokenRequest,
  // A refresh response carries a live refresh token: replayed briefly (a lost response's
  // retry), not for the whole idempotency TTL.
  idempotency: {
    fingerprint: (m) => [m.refresh_token, m.tenant_id, sortedClaims(m.claims ?? {}), ...dpopKey(m.dpop)],
    replayTtlMs: (tokens: TokenService) => tokens.refreshReplayWindowMs,
    checkReplay,
  },
  handle: async (tokens: TokenService, req, call) => {
    if (req.dpop) announceDpopNonce(call, tokens.dpopNonce());
    return wirePair(
      await tokens.refresh({
        tenantId: req.tenant_id,
        refreshToken: req.refresh_token,
        claims: req.claims,
        dpop: req.dpop ?? undefined,
      }),
    );
  },
});

// Revocations are idempotent by nature: revoking twice revokes once, so clients may repeat them.
export const revokeToken = tokenEngine.unary('RevokeToken', {
  schema: RevokeTokenRequest,
  repeatable: true,
  handle: async (tokens: TokenService, req, call) => {
    await tokens.revokeToken(req.tenant_id, req.refresh_token, call.caller);
    return {};
  },
});

export const revokeAllForAudience = tokenEngine.unary('RevokeAllForAudience', {
  schema: RevokeAudienceRequest,
  repeatable: true,
  handle: async (tokens: TokenService, req, call) => {
    await tokens.revokeAudience(req.tenant_id, req.audience, call.caller);
    return {};
  },
});

export const revokeAllUserTokens = tokenEngine.unary('RevokeAllUserTokens', {
  schema: RevokeUserRequest,
  repeatable: true,
  handle: async (tokens: TokenService, req, call) => {
    await tokens.revokeUser(req.tenant_id, req.user_id, call.caller);
    return {};
  },
});

export const revokeAllForUserAndAudience = tokenEngine.unary('RevokeAllForUserAndAudience', {
  schema: RevokeUserAndAudienceRequest,
  repeatable: true,
  handle: async (tokens: TokenService, req, call) => {
    await tokens.revokeUserAudience(req.tenant_id, req.user_id, req.audience, call.caller);
    return {};
  },
});

/** The token RPCs, in the order of the proto. */
export const TOKEN_RPCS = [
  issueToken,
  refreshTokenRpc,
  revokeToken,
  revokeAllForAudience,
  revokeAllUserTokens,
  revokeAllForUserAndAudience,
] as const;

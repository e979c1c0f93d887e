import { status as Status, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { TokenPair } from '../generated/token/v1/TokenPair.js';
import type { RevokeTokenResponse } from '../generated/token/v1/RevokeTokenResponse.js';
import { currentRequestContext } from '../observability/context.js';
import type { Logger } from '../observability/logger.js';
import type { Caller, IssuedPair, TokenService } from '../tokens/token-service.js';
import type {
  IssueTokenRequest,
  RefreshTokenRequest,
  RevokeAudienceRequest,
  RevokeTokenRequest,
  RevokeUserAndAudienceRequest,
  RevokeUserRequest,
} from './schemas.js';
import { toServiceError, toStatus } from './status.js';

/**
 * The one adapter from async handlers to grpc-js callbacks. Requests arrive already
 * validated (validation interceptor). Unexpected errors are logged with the
 * correlation id and answered as INTERNAL with no detail.
 */
function unary<Req, Res>(log: Logger, handle: (request: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    handle(call.request).then(
      (response) => callback(null, response),
      (err: unknown) => {
        const { expected, code } = toStatus(err);
        if (!expected) log.error({ err, method: call.getPath() }, 'unexpected error in handler');
        else if (code === Status.UNAVAILABLE) log.warn({ err: (err as Error).cause ?? err, method: call.getPath() }, 'dependency unavailable');
        callback(toServiceError(err));
      },
    );
  };
}

const EMPTY: RevokeTokenResponse = {};

function wirePair(pair: IssuedPair): TokenPair {
  return {
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    access_token_expires_in: pair.accessTokenExpiresIn,
    refresh_token_expires_in: pair.refreshTokenExpiresIn,
  };
}

function caller(): Caller {
  return { identity: currentRequestContext()?.callerIdentity ?? '' };
}

/** The six TokenEngine RPCs over the token service. */
export function tokenEngineHandlers(service: TokenService, log: Logger): UntypedServiceImplementation {
  return {
    IssueToken: unary<IssueTokenRequest, TokenPair>(log, async (req) =>
      wirePair(await service.issue({ tenantId: req.tenant_id, subject: req.sub, audiences: req.audiences, claims: req.claims })),
    ),
    RefreshToken: unary<RefreshTokenRequest, TokenPair>(log, async (req) =>
      wirePair(await service.refresh({ tenantId: req.tenant_id, refreshToken: req.refresh_token, claims: req.claims })),
    ),
    RevokeToken: unary<RevokeTokenRequest, RevokeTokenResponse>(log, async (req) => {
      await service.revokeToken(req.tenant_id, req.refresh_token, caller());
      return EMPTY;
    }),
    RevokeAllForAudience: unary<RevokeAudienceRequest, RevokeTokenResponse>(log, async (req) => {
      await service.revokeAudience(req.tenant_id, req.audience, caller());
      return EMPTY;
    }),
    RevokeAllUserTokens: unary<RevokeUserRequest, RevokeTokenResponse>(log, async (req) => {
      await service.revokeUser(req.tenant_id, req.user_id, caller());
      return EMPTY;
    }),
    RevokeAllForUserAndAudience: unary<RevokeUserAndAudienceRequest, RevokeTokenResponse>(log, async (req) => {
      await service.revokeUserAudience(req.tenant_id, req.user_id, req.audience, caller());
      return EMPTY;
    }),
  };
}

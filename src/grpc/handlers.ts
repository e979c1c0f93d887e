import {
  status as Status,
  type handleUnaryCall,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { TokenPair } from '../generated/token/v1/TokenPair.js';
import type { RevokeTokenResponse } from '../generated/token/v1/RevokeTokenResponse.js';
import { currentRequestContext } from '../observability/context.js';
import type { Logger } from '../observability/logger.js';
import { ATTR, tokenEngineTracer } from '../observability/tracing.js';
import type { Caller, IssuedPair, TokenService } from '../tokens/token-service.js';
import type {
  IssueTokenRequest,
  RefreshTokenRequest,
  RevokeAudienceRequest,
  RevokeTokenRequest,
  RevokeUserAndAudienceRequest,
  RevokeUserRequest,
} from './schemas.js';
import { statusName, toServiceError, toStatus } from './status.js';

/**
 * The one adapter from async handlers to grpc-js callbacks. Requests arrive already
 * validated (validation interceptor). Unexpected errors are logged with the
 * correlation id and answered as INTERNAL with no detail. The handler runs in an
 * INTERNAL span named after the method (upstream's handler spans); a failure sets the
 * span's status to the gRPC code name, never to the error's message.
 */
function unary<Req, Res>(
  log: Logger,
  tracer: Tracer,
  name: string,
  handle: (request: Req) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL }, (span) => {
      handle(call.request).then(
        (response) => {
          span.end();
          callback(null, response);
        },
        (err: unknown) => {
          const { expected, code } = toStatus(err);
          if (!expected) log.error({ err, method: call.getPath() }, 'unexpected error in handler');
          else if (code === Status.UNAVAILABLE)
            log.warn({ err: (err as Error).cause ?? err, method: call.getPath() }, 'dependency unavailable');
          span.setAttribute(ATTR.rpcGrpcStatusCode, code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: statusName(code) });
          span.end();
          callback(toServiceError(err));
        },
      );
    });
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
export function tokenEngineHandlers(
  service: TokenService,
  log: Logger,
  tracer: Tracer = tokenEngineTracer(),
): UntypedServiceImplementation {
  const adapt = <Req, Res>(name: string, handle: (request: Req) => Promise<Res>): handleUnaryCall<Req, Res> =>
    unary(log, tracer, name, handle);
  return {
    IssueToken: adapt<IssueTokenRequest, TokenPair>('IssueToken', async (req) =>
      wirePair(await service.issue({ tenantId: req.tenant_id, subject: req.sub, audiences: req.audiences, claims: req.claims })),
    ),
    RefreshToken: adapt<RefreshTokenRequest, TokenPair>('RefreshToken', async (req) =>
      wirePair(await service.refresh({ tenantId: req.tenant_id, refreshToken: req.refresh_token, claims: req.claims })),
    ),
    RevokeToken: adapt<RevokeTokenRequest, RevokeTokenResponse>('RevokeToken', async (req) => {
      await service.revokeToken(req.tenant_id, req.refresh_token, caller());
      return EMPTY;
    }),
    RevokeAllForAudience: adapt<RevokeAudienceRequest, RevokeTokenResponse>('RevokeAllForAudience', async (req) => {
      await service.revokeAudience(req.tenant_id, req.audience, caller());
      return EMPTY;
    }),
    RevokeAllUserTokens: adapt<RevokeUserRequest, RevokeTokenResponse>('RevokeAllUserTokens', async (req) => {
      await service.revokeUser(req.tenant_id, req.user_id, caller());
      return EMPTY;
    }),
    RevokeAllForUserAndAudience: adapt<RevokeUserAndAudienceRequest, RevokeTokenResponse>(
      'RevokeAllForUserAndAudience',
      async (req) => {
        await service.revokeUserAudience(req.tenant_id, req.user_id, req.audience, caller());
        return EMPTY;
      },
    ),
  };
}

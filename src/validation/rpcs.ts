import * as z from 'zod';
import { announceDpopNonce } from '../dpop/verifier.js';
import type { TokenEngineDefinition } from '../generated/token/v1/TokenEngine.js';
import type { ValidateTokenResponse } from '../generated/token/v1/ValidateTokenResponse.js';
import { accessToken, dpopProof, optionalAudience, tenantId } from '../grpc/fields.js';
import { rpcsOf } from '../grpc/rpc.js';
import type { TokenValidator, Validation } from './validator.js';

const tokenEngine = rpcsOf<TokenEngineDefinition>('token.v1.TokenEngine');

// Field order matters: the first failing field is the one reported, tenant first.
const ValidateTokenRequest = z.strictObject({
  tenant_id: tenantId,
  access_token: accessToken,
  audience: optionalAudience,
  dpop: dpopProof,
});

/** The wire answer: an inactive token says only why. */
export function wireValidation(result: Validation): ValidateTokenResponse {
  if (!result.active) return { active: false, reason: result.reason };
  return {
    active: true,
    reason: '',
    sub: result.subject,
    audiences: [...result.audiences],
    issued_at: result.issuedAt,
    expires_at: result.expiresAt,
    jti: result.jti,
    claims: { ...result.claims },
    dpop_jkt: result.dpopJkt,
    api_key_id: result.apiKeyId,
  };
}

/**
 * ValidateToken: a read, safe to repeat, with no idempotency key (there is nothing to
 * replay). An invalid token is an OK answer with `active=false` and the reason.
 */
export const validateToken = tokenEngine.unary('ValidateToken', {
  schema: ValidateTokenRequest,
  repeatable: true,
  handle: async (validator: TokenValidator, req, call) => {
    if (req.dpop) announceDpopNonce(call, validator.dpopNonce());
    return wireValidation(
      await validator.validate(
        {
          tenantId: req.tenant_id,
          token: req.access_token,
          ...(req.audience === '' ? {} : { audience: req.audience }),
          ...(req.dpop ? { dpop: req.dpop } : {}),
        },
        'validate_token',
      ),
    );
  },
});

/** The validation RPCs, in the order of the proto. */
export const VALIDATION_RPCS = [validateToken] as const;

import { DPOP_NONCE_HEADER } from '../dpop/verifier.js';
import { LIMITS } from '../grpc/fields.js';
import type { Metrics } from '../observability/metrics.js';
import type { DpopProofInput } from '../validation/dpop.js';
import type { TokenValidator } from '../validation/validator.js';

/**
 * The proto file of `envoy.service.auth.v3.Authorization` (vendored, trimmed), loaded
 * beside ours when TOKEN_ENGINE_EXT_AUTHZ is on; relative to `proto/`.
 */
export const ENVOY_AUTH_PROTO = 'envoy/service/auth/v3/external_auth.proto';

/** gRPC status codes in `CheckResponse.status` (google.rpc.Code). */
const OK = 0;
const UNAUTHENTICATED = 16;

/** A header Envoy sets (or removes) on the request it forwards or the response it sends. */
export interface HeaderValueOption {
  header: { key: string; value: string };
  append: { value: boolean };
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD';
}

/** The CheckResponse token-engine sends: allowed with identity headers, or denied with a 401. */
export interface CheckResponse {
  status: { code: number; message: string };
  ok_response?: { headers: HeaderValueOption[]; headers_to_remove: string[] };
  denied_response?: { status: { code: 'Unauthorized' }; headers: HeaderValueOption[]; body: string };
}

/** What a Check needs from Envoy's request attributes. */
export interface CheckInput {
  readonly tenantId: string;
  /** context_extensions["audience"]: the audience the route requires, if any. */
  readonly audience: string;
  /** context_extensions["strip_authorization"] = "true": the upstream does not see the token. */
  readonly stripAuthorization: boolean;
  /** Lower-case request headers. */
  readonly headers: Readonly<Record<string, string>>;
  readonly method: string;
  readonly scheme: string;
  readonly host: string;
  /** The request target (path and query). */
  readonly path: string;
}

/** The identity headers an allowed request is forwarded with. */
export const IDENTITY_HEADERS = {
  sub: 'x-token-sub',
  tenant: 'x-token-tenant',
  jti: 'x-token-jti',
  aud: 'x-token-aud',
} as const;

const AUTHORIZATION = /^(Bearer|DPoP)[ \t]+([^ \t]+)[ \t]*$/i;

/** Printable ASCII goes into a header as it is; anything else is percent-encoded (UTF-8). */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

function header(key: string, value: string): HeaderValueOption {
  // Overwrite: a client cannot smuggle its own x-token-* values past the check.
  return { header: { key, value }, append: { value: false }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

/**
 * Envoy's external authorization (ext_authz v3) over the token validator: the token from
 * `authorization: Bearer <t>` (or `DPoP <t>` with the `dpop` header), validated exactly as
 * ValidateToken does. Active: OK with the identity headers. Anything else: UNAUTHENTICATED
 * with a 401, `WWW-Authenticate` and a short JSON body naming the reason. The store being
 * away is an error of the call (UNAVAILABLE), never an allow: Envoy's `failure_mode_allow`
 * decides.
 */
export class ExtAuthz {
  constructor(
    private readonly validator: TokenValidator,
    private readonly metrics?: Pick<Metrics, 'tokenValidations'>,
  ) {}

  /**
   * A bound token refused for its proof: the DPoP scheme (RFC 9449 §7.1), `invalid_token`
   * when no proof came, `invalid_dpop_proof` when it failed, and a fresh `DPoP-Nonce` when
   * server nonces are on.
   */
  private denyDpop(reason: 'dpop_invalid' | 'dpop_required'): CheckResponse {
    const response = deny('DPoP', reason === 'dpop_required' ? 'invalid_token' : 'invalid_dpop_proof', reason);
    const nonce = this.validator.dpopNonce();
    if (nonce !== undefined) response.denied_response?.headers.push(header(DPOP_NONCE_HEADER, nonce));
    return response;
  }

  async check(input: CheckInput): Promise<CheckResponse> {
    // An unknown tenant is a configuration error of the route: NOT_FOUND, whatever the request.
    const tenant = this.validator.tenant(input.tenantId);
    const presented = AUTHORIZATION.exec(input.headers['authorization'] ?? '');
    if (!presented) {
      this.metrics?.tokenValidations.inc({ tenant_id: tenant.id, via: 'ext_authz', result: 'inactive', reason: 'missing_token' });
      return deny('Bearer', undefined, 'missing_token');
    }
    const scheme = (presented[1] ?? 'Bearer').toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = presented[2] ?? '';
    if (Buffer.byteLength(token, 'utf8') > LIMITS.accessTokenBytes) return deny(scheme, 'invalid_token', 'malformed');
    const result = await this.validator.validate(
      {
        tenantId: input.tenantId,
        token,
        ...(input.audience ? { audience: input.audience } : {}),
        ...(scheme === 'DPoP' ? dpopOf(input) : {}),
      },
      'ext_authz',
    );
    if (!result.active) {
      if (result.reason === 'dpop_invalid' || result.reason === 'dpop_required') return this.denyDpop(result.reason);
      return deny(scheme, 'invalid_token', result.reason);
    }
    return {
      status: { code: OK, message: '' },
      ok_response: {
        headers: [
          header(IDENTITY_HEADERS.sub, headerSafe(result.subject)),
          header(IDENTITY_HEADERS.tenant, headerSafe(input.tenantId)),
          header(IDENTITY_HEADERS.jti, headerSafe(result.jti)),
          header(IDENTITY_HEADERS.aud, headerSafe(result.audiences.join(','))),
        ],
        headers_to_remove: input.stripAuthorization ? ['authorization'] : [],
      },
    };
  }
}

/** The DPoP proof of a request, with `htm` and `htu` rebuilt from what Envoy saw (no query, no fragment). */
function dpopOf(input: CheckInput): { dpop?: DpopProofInput } {
  const proof = input.headers['dpop'];
  if (!proof) return {};
  const path = input.path.split(/[?#]/, 1)[0] ?? '';
  return { dpop: { proof, htm: input.method, htu: `${input.scheme}://${input.host}${path}` } };
}

/** A 401: `WWW-Authenticate` with `error` unless no token was sent (RFC 6750 §3.1), and the reason as JSON. */
function deny(
  scheme: 'Bearer' | 'DPoP',
  error: 'invalid_token' | 'invalid_dpop_proof' | undefined,
  reason: string,
): CheckResponse {
  return {
    status: { code: UNAUTHENTICATED, message: reason },
    denied_response: {
      status: { code: 'Unauthorized' },
      headers: [
        header('www-authenticate', error ? `${scheme} error="${error}"` : scheme),
        header('content-type', 'application/json'),
      ],
      body: JSON.stringify(error ? { error, reason } : { reason }),
    },
  };
}

import { type Tracer, trace } from '@opentelemetry/api';
import { type CryptoKey, decodeProtectedHeader, errors, importJWK, type JWK, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { inSpanAsync, tokenEngineTracer } from '../observability/tracing.js';
import { type TokenStore, VALIDATION_LEEWAY_MS } from '../store/ports.js';
import type { Tenant, TenantRegistry } from '../tenancy/tenants.js';
import { RESERVED_CLAIMS } from '../tokens/claims.js';
import type { DpopVerifier } from '../dpop/verifier.js';
import { type DpopProofInput, dpopRefusal } from './dpop.js';

/** Why a token is not active: the closed list of ValidateTokenResponse.reason. */
export const INACTIVE_REASONS = [
  'malformed',
  'bad_signature',
  'unknown_key',
  'expired',
  'not_yet_valid',
  'wrong_issuer',
  'wrong_audience',
  'revoked',
  'dpop_required',
  'dpop_invalid',
] as const;

/** One of {@link INACTIVE_REASONS}. */
export type InactiveReason = (typeof INACTIVE_REASONS)[number];

/** An active token, as ValidateToken describes it. */
export interface ActiveToken {
  readonly active: true;
  readonly subject: string;
  readonly audiences: readonly string[];
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  readonly jti: string;
  /** The custom claims (string claims that are not the service's own). */
  readonly claims: Readonly<Record<string, string>>;
  /** `cnf.jkt` of a sender-constrained token, else `''`. */
  readonly dpopJkt: string;
  /** `akid` of a token minted from an API key, else `''`. */
  readonly apiKeyId: string;
}

/** What validating a token found: active with its content, or inactive with the reason. */
export type Validation = ActiveToken | { readonly active: false; readonly reason: InactiveReason };

/** What a validation is asked. */
export interface ValidationRequest {
  readonly tenantId: string;
  readonly token: string;
  /** When set, the token must name this audience. */
  readonly audience?: string | undefined;
  /** The DPoP proof the client sent with the token, if any. */
  readonly dpop?: DpopProofInput | undefined;
}

/** Which entry point asked (a metric label). */
export type ValidationVia = 'validate_token' | 'ext_authz';

export interface TokenValidatorDeps {
  readonly tenants: TenantRegistry;
  /** Reads the revocation state of a token (one round trip). */
  readonly store: Pick<TokenStore, 'revocationState'>;
  readonly clock: Clock;
  readonly metrics?: Pick<Metrics, 'tokenValidations'>;
  readonly tracer?: Tracer;
  /** Checks the proofs of DPoP-bound tokens; without it such tokens are refused (`dpop_invalid`). */
  readonly dpop?: DpopVerifier | undefined;
}

/** A JWT's registered claims and the service's own: never reported as custom claims. */
const NOT_CUSTOM: ReadonlySet<string> = RESERVED_CLAIMS;

/** Imported verification keys kept at most; a full cache is emptied (keys are few and rotate slowly). */
const MAX_CACHED_KEYS = 256;

/** A verification failure inside the checks: ends the validation with the reason. */
class Inactive extends Error {
  constructor(readonly reason: InactiveReason) {
    super(reason);
  }
}

/**
 * Validates access tokens of the tenants this process serves: the signature with one of
 * the tenant's published keys (the algorithm is the key's, never the token header's, so
 * `none` and HMAC tokens are refused), `exp`/`nbf` with a 60 s leeway, `iss`, the asked
 * audience, the service's claims, then revocation in one store round trip, and the DPoP
 * binding. A token that fails is not an error: the answer says why it is inactive. Only an
 * unknown tenant (NOT_FOUND) and an unreachable store (UNAVAILABLE) are errors.
 */
export class TokenValidator {
  private readonly keys = new Map<string, { jwk: string; key: CryptoKey }>();
  private readonly tracer: Tracer;

  constructor(private readonly deps: TokenValidatorDeps) {
    this.tracer = deps.tracer ?? tokenEngineTracer();
  }

  async validate(request: ValidationRequest, via: ValidationVia): Promise<Validation> {
    const tenant = this.tenant(request.tenantId);
    const result = await this.check(tenant, request);
    const reason = result.active ? 'none' : result.reason;
    this.deps.metrics?.tokenValidations.inc({
      tenant_id: tenant.id,
      via,
      result: result.active ? 'active' : 'inactive',
      reason,
    });
    trace.getActiveSpan()?.setAttribute('token_engine.validation.reason', reason);
    return result;
  }

  /** The DPoP server nonce to hand out now, when nonces are on. */
  dpopNonce(): string | undefined {
    return this.deps.dpop?.nonce();
  }

  /** The served tenant, or NOT_FOUND. */
  tenant(tenantId: string): Tenant {
    const tenant = this.deps.tenants.get(tenantId);
    if (!tenant) throw new DomainError('tenant_not_found', `tenant ${tenantId} not found`);
    return tenant;
  }

  private async check(tenant: Tenant, request: ValidationRequest): Promise<Validation> {
    let payload: JWTPayload;
    try {
      payload = await inSpanAsync(this.tracer, 'verify token', () => this.verify(tenant, request));
    } catch (err) {
      if (err instanceof Inactive) return { active: false, reason: err.reason };
      throw err;
    }
    const claims = serviceClaims(payload);
    if (!claims) return { active: false, reason: 'malformed' };

    const state = await this.deps.store.revocationState(tenant.storePolicy, {
      familyId: claims.sid,
      subject: claims.sub,
      audiences: claims.aud,
      apiKeyId: claims.akid,
    });
    if (state.familyRevoked || state.apiKeyRevoked || claims.rsq <= state.watermark) return { active: false, reason: 'revoked' };

    const refusal = await dpopRefusal(
      { tenantId: tenant.id, token: request.token, jkt: claims.jkt, proof: request.dpop },
      this.deps.dpop,
    );
    if (refusal) return { active: false, reason: refusal };

    return {
      active: true,
      subject: claims.sub,
      audiences: claims.aud,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      jti: claims.jti,
      claims: customClaims(payload),
      dpopJkt: claims.jkt ?? '',
      apiKeyId: claims.akid,
    };
  }

  /** Signature, key, times, issuer and audience; throws {@link Inactive} with the reason. */
  private async verify(tenant: Tenant, request: ValidationRequest): Promise<JWTPayload> {
    // A JWS in compact form has three parts; anything else (a JWE, garbage) is not ours.
    if (request.token.split('.').length !== 3) throw new Inactive('malformed');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(request.token);
    } catch {
      throw new Inactive('malformed');
    }
    if (typeof header.kid !== 'string' || header.kid === '') throw new Inactive('unknown_key');
    const jwk = tenant.keys.jwks().keys.find((k) => k.kid === header.kid);
    if (!jwk || typeof jwk.alg !== 'string') throw new Inactive('unknown_key');
    if (header.alg !== jwk.alg) throw new Inactive('bad_signature');
    const key = await this.importKey(tenant.id, jwk);
    try {
      const { payload } = await jwtVerify(request.token, key, {
        algorithms: [jwk.alg],
        issuer: tenant.issuer,
        ...(request.audience ? { audience: request.audience } : {}),
        requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'rsq'],
        clockTolerance: VALIDATION_LEEWAY_MS / 1000,
        currentDate: new Date(this.deps.clock.now()),
      });
      return payload;
    } catch (err) {
      throw new Inactive(reasonOf(err));
    }
  }

  /** The published key as a verification key, imported once per kid. */
  private async importKey(tenantId: string, jwk: JWK): Promise<CryptoKey> {
    const id = `${tenantId}\u0000${jwk.kid ?? ''}`;
    const material = JSON.stringify([jwk.kty, jwk.crv, jwk.n, jwk.e, jwk.x, jwk.y]);
    const cached = this.keys.get(id);
    if (cached && cached.jwk === material) return cached.key;
    const key = (await importJWK({ ...jwk, ext: true }, jwk.alg)) as CryptoKey;
    if (this.keys.size >= MAX_CACHED_KEYS) this.keys.clear();
    this.keys.set(id, { jwk: material, key });
    return key;
  }
}

/** The reason for a jose verification error; anything jose does not name is a malformed token. */
function reasonOf(err: unknown): InactiveReason {
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) return 'bad_signature';
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'check_failed') {
      if (err.claim === 'nbf' || err.claim === 'iat') return 'not_yet_valid';
      if (err.claim === 'iss') return 'wrong_issuer';
      if (err.claim === 'aud') return 'wrong_audience';
    }
    return 'malformed';
  }
  if (err instanceof errors.JOSEError) return 'malformed';
  throw err;
}

/** The claims the service itself reads, checked for their types; undefined when one is wrong. */
function serviceClaims(payload: JWTPayload):
  | {
      sub: string;
      aud: string[];
      iat: number;
      exp: number;
      jti: string;
      sid: string;
      rsq: number;
      akid: string;
      jkt: string | undefined;
    }
  | undefined {
  const { sub, aud, iat, exp, jti } = payload;
  const sid = payload['sid'];
  const rsq = payload['rsq'];
  const akid = payload['akid'] ?? '';
  const cnf = payload['cnf'];
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (typeof sub !== 'string' || sub === '' || !Array.isArray(audiences) || audiences.length === 0) return undefined;
  if (!audiences.every((a): a is string => typeof a === 'string')) return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof jti !== 'string') return undefined;
  if (typeof sid !== 'string' || sid === '' || !Number.isSafeInteger(rsq) || (rsq as number) < 1) return undefined;
  if (typeof akid !== 'string') return undefined;
  let jkt: string | undefined;
  if (cnf !== undefined) {
    const named = (cnf as { jkt?: unknown } | null)?.jkt;
    if (typeof named !== 'string' || named === '') return undefined;
    jkt = named;
  }
  return { sub, aud: audiences, iat, exp, jti, sid, rsq: rsq as number, akid, jkt };
}

/** The custom claims: string claims whose names are not the service's. */
function customClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (!NOT_CUSTOM.has(name) && typeof value === 'string') out[name] = value;
  }
  return out;
}

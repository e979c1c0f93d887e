/**
 * DPoP proof validation (RFC 9449 §4.3): the one validator every entry point uses
 * (IssueToken, RefreshToken, ExchangeApiKey, ValidateToken and Envoy's Check).
 * Every refusal names the check that failed; a proof that fails any check never consumes
 * its `jti`, so the replay check runs last.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, EmbeddedJWK, type JWK, type ProtectedHeaderParameters } from 'jose';
import type { Clock } from '../clock.js';
import type { DpopReplayStore } from '../store/ports.js';
import type { DpopNonces } from './nonce.js';
import { jwkThumbprint } from './thumbprint.js';

/** The largest proof accepted, in bytes (a compact JWS with an embedded RSA key fits well below). */
export const MAX_PROOF_BYTES = 8 * 1024;
/** The longest `jti` accepted, in characters. */
export const MAX_JTI_LENGTH = 128;

/** Asymmetric JWS algorithms a proof may use; TOKEN_ENGINE_DPOP_ALGS picks among these. */
export const DPOP_SUPPORTED_ALGS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;

/** The default of TOKEN_ENGINE_DPOP_ALGS. */
export const DPOP_DEFAULT_ALGS: readonly DpopAlg[] = ['ES256', 'EdDSA', 'PS256', 'RS256'];

/** One of {@link DPOP_SUPPORTED_ALGS}. */
export type DpopAlg = (typeof DPOP_SUPPORTED_ALGS)[number];

/**
 * The checks, in the order they run; a refusal names the first that failed. `replay`
 * means exactly: the proof was valid but its `jti` was already used by this key.
 */
export const DPOP_CHECKS = [
  'size',
  'format',
  'typ',
  'alg',
  'jwk',
  'signature',
  'claims',
  'jti',
  'htm',
  'htu',
  'iat',
  'ath',
  'nonce',
  'replay',
] as const;

/** One of {@link DPOP_CHECKS}. */
export type DpopCheck = (typeof DPOP_CHECKS)[number];

/** A DPoP proof as forwarded by the caller: the client's `DPoP` header, and the request it came with. */
export interface DpopProofInput {
  readonly proof: string;
  /** The HTTP method of the request the proof came with. */
  readonly htm: string;
  /** The HTTP URL of that request; its query and fragment are ignored. */
  readonly htu: string;
}

/** How proofs are judged: the service's configuration. */
export interface DpopPolicy {
  /** Accepted `alg` values (TOKEN_ENGINE_DPOP_ALGS). */
  readonly algorithms: readonly string[];
  /** How far `iat` may be from now, each way (TOKEN_ENGINE_DPOP_IAT_WINDOW). */
  readonly iatWindowMs: number;
  /** Server nonces, when required (TOKEN_ENGINE_DPOP_NONCE). */
  readonly nonces?: DpopNonces | undefined;
}

/** What checking a proof needs besides the policy. */
export interface DpopDeps {
  /** Where seen `jti`s are recorded, shared by every replica. */
  readonly replay: DpopReplayStore;
  readonly clock: Clock;
}

/** What is checked: the proof, for whom, and the access token it must be bound to (resource requests). */
export interface DpopVerifyRequest {
  readonly tenantId: string;
  readonly proof: DpopProofInput;
  /** The access token presented with the proof: its `ath` must match. Absent at the token endpoint. */
  readonly accessToken?: string | undefined;
}

/** The outcome: the key's thumbprint when the proof is accepted, else the failed check. */
export type DpopVerification =
  | { readonly ok: true; readonly jkt: string; readonly jti: string }
  | { readonly ok: false; readonly check: DpopCheck };

/** JWK members of a private (or symmetric) key: a proof carries the public key only. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const ASYMMETRIC_KTY: ReadonlySet<string> = new Set(['EC', 'OKP', 'RSA']);

/** base64url(SHA-256(access token)): the `ath` a proof sent with that token must carry. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('base64url');
}

/**
 * Checks one DPoP proof: `typ: dpop+jwt`; `alg` in the policy; an embedded public `jwk`;
 * the signature by that key; `htm`; `htu` without query and fragment; `iat` within the
 * window each way; `jti` of at most 128 characters; `ath` when an access token is
 * presented; the server nonce when required; finally that the `jti` is new for the tenant
 * and key across every replica (recorded for twice the window: a proof dated up to one
 * window ahead stays acceptable for two). Store failures reject (the caller maps them);
 * everything about the proof answers `{ ok: false, check }`.
 */
export async function verifyDpopProof(request: DpopVerifyRequest, policy: DpopPolicy, deps: DpopDeps): Promise<DpopVerification> {
  const refused = (check: DpopCheck): DpopVerification => ({ ok: false, check });
  const { proof } = request.proof;
  if (Buffer.byteLength(proof, 'utf8') > MAX_PROOF_BYTES) return refused('size');
  if (proof.split('.').length !== 3) return refused('format');
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return refused('format');
  }
  if (header.typ !== 'dpop+jwt') return refused('typ');
  if (typeof header.alg !== 'string' || !policy.algorithms.includes(header.alg)) return refused('alg');
  const jwk = publicJwk(header.jwk);
  if (!jwk) return refused('jwk');

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(proof, EmbeddedJWK, { algorithms: [header.alg] }));
  } catch {
    // jose refuses a key unfit for the alg or a weak RSA key before verifying: both are the key's fault.
    try {
      await EmbeddedJWK(header, { payload: '', signature: '' });
    } catch {
      return refused('jwk');
    }
    return refused('signature');
  }

  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return refused('claims');
    claims = parsed as Record<string, unknown>;
  } catch {
    return refused('claims');
  }

  const { jti, htm, htu, iat, ath, nonce } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return refused('jti');
  if (typeof htm !== 'string' || htm !== request.proof.htm) return refused('htm');
  if (typeof htu !== 'string' || !sameTarget(htu, request.proof.htu)) return refused('htu');
  const now = deps.clock.now();
  if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(now - iat * 1000) > policy.iatWindowMs) {
    return refused('iat');
  }
  if (request.accessToken !== undefined && !sameText(ath, accessTokenHash(request.accessToken))) return refused('ath');
  if (policy.nonces && !policy.nonces.accepts(nonce)) return refused('nonce');

  const jkt = await jwkThumbprint(jwk);
  if (!(await deps.replay.claim(request.tenantId, jkt, jti, 2 * policy.iatWindowMs))) return refused('replay');
  return { ok: true, jkt, jti };
}

/** The embedded key when it is an asymmetric public JWK, else undefined. */
function publicJwk(value: unknown): JWK | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const jwk = value as JWK;
  if (typeof jwk.kty !== 'string' || !ASYMMETRIC_KTY.has(jwk.kty)) return undefined;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return undefined;
  return jwk;
}

/**
 * `htu` compared as RFC 9449 §4.3 asks: both sides as absolute http(s) URLs, without query
 * and fragment, after the WHATWG URL parser's normalisation (scheme and host case, default
 * port, dot segments).
 */
function sameTarget(claimed: string, actual: string): boolean {
  const a = targetOf(claimed);
  return a !== undefined && a === targetOf(actual);
}

function targetOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Constant-time comparison of a claimed text with the expected one. */
function sameText(claimed: unknown, expected: string): boolean {
  if (typeof claimed !== 'string') return false;
  const a = Buffer.from(claimed, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The DPoP side of validating an access token (RFC 9449 §7): a token whose `cnf.jkt`
 * names a key is active only with a valid proof by that key whose `ath` is the token's
 * hash. Without a proof checker the service fails closed: a bound token is refused
 * whatever comes with it.
 */
import type { DpopProofInput } from '../dpop/proof.js';
import type { DpopVerifier } from '../dpop/verifier.js';

export type { DpopProofInput } from '../dpop/proof.js';

/** What the binding check of one token needs. */
export interface DpopBindingCheck {
  readonly tenantId: string;
  /** The access token the proof must be bound to by `ath`. */
  readonly token: string;
  /** `cnf.jkt` of the token; undefined for a bearer token (nothing to check). */
  readonly jkt: string | undefined;
  readonly proof: DpopProofInput | undefined;
}

/**
 * Why a token's key binding refuses it, or undefined when it does not. A proof sent with
 * a bearer token is not checked (nothing binds it) and does not use up its `jti`.
 */
export async function dpopRefusal(
  check: DpopBindingCheck,
  verifier: DpopVerifier | undefined,
): Promise<'dpop_required' | 'dpop_invalid' | undefined> {
  if (check.jkt === undefined) return undefined;
  if (check.proof === undefined) return 'dpop_required';
  if (!verifier) return 'dpop_invalid';
  const result = await verifier.verify({ tenantId: check.tenantId, proof: check.proof, accessToken: check.token });
  // Only the thumbprint is compared here, not secret: a plain comparison leaks nothing.
  return result.ok && result.jkt === check.jkt ? undefined : 'dpop_invalid';
}

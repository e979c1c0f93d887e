/**
 * The DPoP side of validating an access token (RFC 9449): a token whose `cnf.jkt` names a
 * key is active only with a proof by that key. Checking proofs is not served yet (IssueToken
 * refuses to bind, so no token of this service carries `cnf`), and until it is, a
 * sender-constrained token is refused whatever comes with it: fail closed. This is the one
 * place proof checking plugs in.
 */

/** A DPoP proof as forwarded by the caller: the client's header, and the request it came with. */
export interface DpopProofInput {
  readonly proof: string;
  readonly htm: string;
  readonly htu: string;
}

/** Why a token's key binding refuses it, or undefined when it does not. */
export function dpopRefusal(
  jkt: string | undefined,
  proof: DpopProofInput | undefined,
): 'dpop_required' | 'dpop_invalid' | undefined {
  if (jkt === undefined) return undefined;
  if (proof === undefined) return 'dpop_required';
  return 'dpop_invalid';
}

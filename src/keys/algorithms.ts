/**
 * The JWS algorithms token-engine signs with: the one list that configuration, the
 * tenants file and key generation all read. RS256 is the default (upstream behaviour).
 */
export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;

/** A JWS algorithm of {@link SIGNING_ALGS}. */
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** The algorithm of newly generated keys when nothing else is configured. */
export const DEFAULT_SIGNING_ALG: SigningAlg = 'RS256';

/** True for a name in {@link SIGNING_ALGS}. */
export function isSigningAlg(value: unknown): value is SigningAlg {
  return (SIGNING_ALGS as readonly unknown[]).includes(value);
}

/** `RS256, ES256 or EdDSA` (each name wrapped in `quote`): the list as messages write it. */
export function describeSigningAlgs(quote = ''): string {
  const names = SIGNING_ALGS.map((alg) => `${quote}${alg}${quote}`);
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

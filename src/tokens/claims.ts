/**
 * Claims the service sets itself (registered claims and its own: `sid` the token family,
 * `rsq` its place among the tenant's revocations, `cnf` the DPoP key binding, `akid` the
 * API key that minted it); custom claims may not use these names.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'sid',
  'rsq',
  'cnf',
  'akid',
]);

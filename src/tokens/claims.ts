/** Registered claims the service sets itself; custom claims may not use these names. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);

import { calculateJwkThumbprint, type JWK } from 'jose';

/** The RFC 7638 SHA-256 thumbprint of a public key, base64url: the `cnf.jkt` of a bound token. */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

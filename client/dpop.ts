/**
 * DPoP proofs (RFC 9449) made from the client's own key pair: what a client sends in its
 * `DPoP` header, and what a service forwarding it to token-engine puts in `dpop`. The
 * private key never leaves the prover; only the public key travels, inside each proof.
 */
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type CryptoKey, exportJWK, type JWK, type KeyObject, SignJWT } from 'jose';
import type { DpopProof } from './types.js';

/** What one proof is made for. */
export interface DpopProofOptions {
  /** The HTTP method of the request (`POST`). */
  readonly htm: string;
  /** The HTTP URL of the request; query and fragment are not part of what is proven. */
  readonly htu: string;
  /** The access token sent with the request (resource requests): the proof carries its hash (`ath`). */
  readonly accessToken?: string;
  /** The server's last `dpop-nonce`, when it requires nonces. */
  readonly nonce?: string;
}

/** Makes proofs with one key pair. */
export interface DpopProver {
  /** The RFC 7638 thumbprint of the public key: the `cnf.jkt` of tokens bound to it. */
  readonly jkt: string;
  /** The public key as it travels in every proof. */
  readonly publicJwk: JWK;
  /** A fresh proof (new `jti`, `iat` now), as the compact JWS of a `DPoP` header. */
  proof(options: DpopProofOptions): Promise<string>;
  /** A fresh proof with the method and URL it was made for: the `dpop` field of a request. */
  forRequest(options: DpopProofOptions): Promise<DpopProof>;
}

/** The key pair of a prover, as WebCrypto or Node key objects. */
export interface DpopKeyPair {
  readonly privateKey: CryptoKey | KeyObject;
  readonly publicKey: CryptoKey | KeyObject;
}

/**
 * A prover over a key pair, signing with `alg` (ES256 by default; the service accepts what
 * TOKEN_ENGINE_DPOP_ALGS lists).
 */
export async function createDpopProver(keys: DpopKeyPair, alg = 'ES256'): Promise<DpopProver> {
  const full = await exportJWK(keys.publicKey);
  // Only the members of the public key: an exported JWK may carry others (`ext`, `key_ops`).
  const publicJwk: JWK = Object.fromEntries(
    Object.entries(full).filter(([name]) => ['kty', 'crv', 'x', 'y', 'n', 'e'].includes(name)),
  );
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  const proof = async (options: DpopProofOptions): Promise<string> =>
    new SignJWT({
      htm: options.htm,
      htu: options.htu,
      jti: randomUUID(),
      ...(options.accessToken === undefined
        ? {}
        : { ath: createHash('sha256').update(options.accessToken, 'utf8').digest('base64url') }),
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: publicJwk })
      .setIssuedAt()
      .sign(keys.privateKey);
  return {
    jkt,
    publicJwk,
    proof,
    forRequest: async (options) => ({ proof: await proof(options), htm: options.htm, htu: options.htu }),
  };
}

/**
 * DPoP proofs for tests: well-formed ones from a key pair, and every way of getting one
 * wrong (any header, any payload, any signature), built by hand so that nothing in the
 * way normalises a mistake away.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import { CompactSign } from 'jose';

/** A key pair with its public JWK and thumbprint. */
export interface ProofKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  readonly jkt: string;
}

/** A fresh key pair for `alg`. */
export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const full = await exportJWK(publicKey);
  const publicJwk: JWK = Object.fromEntries(
    Object.entries(full).filter(([name]) => ['kty', 'crv', 'x', 'y', 'n', 'e'].includes(name)),
  );
  return {
    alg,
    privateKey,
    publicJwk,
    privateJwk: await exportJWK(privateKey),
    jkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
  };
}

/** What a proof is made of; every part may be overridden. */
export interface ProofParts {
  readonly key: ProofKey;
  readonly htm: string;
  readonly htu: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly jti?: string;
  readonly accessToken?: string;
  readonly nonce?: string;
  /** Merged over the header {typ, alg, jwk}; a member set to undefined is removed. */
  readonly header?: Record<string, unknown>;
  /** Merged over the claims; a member set to undefined is removed. */
  readonly claims?: Record<string, unknown>;
  /** Sign with this key instead of `key.privateKey`. */
  readonly signer?: CryptoKey;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

function merged(base: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...over };
  for (const [name, value] of Object.entries(over)) if (value === undefined) delete out[name];
  return out;
}

/** base64url(SHA-256(token)). */
export function ath(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** The header and claims a proof of `parts` carries. */
export function proofContent(parts: ProofParts): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const header = merged({ typ: 'dpop+jwt', alg: parts.key.alg, jwk: parts.key.publicJwk }, parts.header);
  const claims = merged(
    {
      htm: parts.htm,
      htu: parts.htu,
      iat: parts.iat,
      jti: parts.jti ?? randomUUID(),
      ...(parts.accessToken === undefined ? {} : { ath: ath(parts.accessToken) }),
      ...(parts.nonce === undefined ? {} : { nonce: parts.nonce }),
    },
    parts.claims,
  );
  return { header, claims };
}

/** A compact JWS of `parts`, signed with the key (or `signer`) under the header's alg. */
export async function makeProof(parts: ProofParts): Promise<string> {
  const { header, claims } = proofContent(parts);
  return signed(header, Buffer.from(JSON.stringify(claims), 'utf8'), parts.signer ?? parts.key.privateKey);
}

/** Signs any header and payload bytes as a compact JWS with `signer` (the header's alg must suit it). */
export async function signed(header: Record<string, unknown>, payload: Uint8Array, signer: CryptoKey): Promise<string> {
  return new CompactSign(payload).setProtectedHeader(header as never).sign(signer);
}

/** An unsecured JWS (`alg: none`) with an empty signature. */
export function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  return `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`;
}

/** An HS256 JWS keyed with `secret`, whatever the header says otherwise. */
export function hmacSigned(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string): string {
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

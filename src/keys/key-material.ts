import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign as cryptoSign,
} from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { StoredSigningKey } from '../store/ports.js';

import { isSigningAlg, type SigningAlg } from './algorithms.js';
import type { SigningKey } from './signer.js';

/** A sealed key opened for signing: imported once (non-extractable) and reused for every token. */
export interface SealedSigningKey extends SigningKey {
  readonly privateKey: CryptoKey;
}

const PUBLIC_PARAMETERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

/** Generates a new key pair for `alg` and its stored form. */
export async function generateSigningKey(
  tenantId: string,
  alg: SigningAlg,
  schedule: { createdAt: number; activatesAt: number },
  kek: Buffer | undefined,
): Promise<StoredSigningKey> {
  const { privateKey } =
    alg === 'RS256'
      ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
      : alg === 'ES256'
        ? await generateKeyPair('ES256', { extractable: true })
        : await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const jwk = await exportJWK(privateKey);
  return { kid, alg, ...schedule, sealedPrivateKey: sealPrivateKey(JSON.stringify(jwk), tenantId, kid, kek) };
}

/** Imports a stored key for signing. Throws when it cannot be unsealed (wrong KEK). */
export async function openSigningKey(
  tenantId: string,
  stored: StoredSigningKey,
  kek: Buffer | undefined,
): Promise<SealedSigningKey> {
  const alg = stored.alg;
  if (!isSigningAlg(alg)) throw new KeyUnsealError(`signing key ${stored.kid} has an unknown algorithm`);
  const jwk = JSON.parse(unsealPrivateKey(stored.sealedPrivateKey, tenantId, stored.kid, kek)) as JWK;
  const privateKey = (await importJWK({ ...jwk, ext: false }, alg)) as CryptoKey;
  const publicJwk: JWK = { kid: stored.kid, kty: jwk.kty, alg, use: 'sig' };
  for (const name of PUBLIC_PARAMETERS[jwk.kty ?? ''] ?? []) {
    (publicJwk as Record<string, unknown>)[name] = (jwk as Record<string, unknown>)[name];
  }
  return {
    kid: stored.kid,
    alg,
    createdAt: stored.createdAt,
    privateKey,
    publicJwk: Object.freeze(publicJwk),
    // node:crypto signs with its own KeyObject, made from the same JWK (a non-extractable
    // CryptoKey cannot be converted).
    sign: nodeSigner(alg, createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })),
  };
}

/**
 * Signs with node:crypto's one-shot `sign` in its callback form, which runs on the libuv
 * pool: the event loop only hands the bytes over (doc/adr/0005-pkcs11-signer.md, "Measured").
 * ES256 asks for the IEEE P1363 encoding (r‖s), which is the JWS form.
 */
function nodeSigner(alg: SigningAlg, key: KeyObject): (data: Uint8Array) => Promise<Uint8Array> {
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const input = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return (data) =>
    new Promise((resolve, reject) => {
      cryptoSign(digest, data, input, (err, signature) => (err ? reject(err) : resolve(signature)));
    });
}

const SEALED = 'a256gcm.';
const PLAIN = 'plain.';

/**
 * Seals a private JWK with AES-256-GCM under the key-encryption key, binding tenant and
 * kid as associated data so a sealed key cannot be moved to another tenant or kid.
 * Without a KEK the key is stored in the clear (the app warns loudly at start).
 */
export function sealPrivateKey(plaintext: string, tenantId: string, kid: string, kek: Buffer | undefined): string {
  if (!kek) return PLAIN + Buffer.from(plaintext, 'utf8').toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(associatedData(tenantId, kid));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED}${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** True for a key stored without encryption. */
export function isStoredInClear(stored: StoredSigningKey): boolean {
  return stored.sealedPrivateKey?.startsWith(PLAIN) === true;
}

/** Reverses sealPrivateKey; throws KeyUnsealError when the KEK is missing or wrong. */
export function unsealPrivateKey(sealed: string | undefined, tenantId: string, kid: string, kek: Buffer | undefined): string {
  if (sealed === undefined) throw new KeyUnsealError(`signing key ${kid} holds no private key`);
  if (sealed.startsWith(PLAIN)) {
    // With a KEK set, an unencrypted key is never trusted: anyone able to write to the
    // store could otherwise plant a signing key whose private half they know.
    if (kek) throw new KeyUnsealError(`signing key ${kid} is stored unencrypted while TOKEN_ENGINE_KEY_ENCRYPTION_KEY is set`);
    return Buffer.from(sealed.slice(PLAIN.length), 'base64url').toString('utf8');
  }
  if (!sealed.startsWith(SEALED)) throw new KeyUnsealError(`signing key ${kid} has an unknown storage format`);
  if (!kek) throw new KeyUnsealError(`signing key ${kid} is encrypted but TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not set`);
  const [ivText, bodyText] = sealed.slice(SEALED.length).split('.');
  const iv = Buffer.from(ivText ?? '', 'base64url');
  const body = Buffer.from(bodyText ?? '', 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv);
    decipher.setAAD(associatedData(tenantId, kid));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyUnsealError(
      `signing key ${kid} cannot be decrypted: TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not the key it was sealed with`,
    );
  }
}

/** A stored key cannot be opened: a configuration problem, fatal at start-up. */
export class KeyUnsealError extends Error {
  override readonly name = 'KeyUnsealError';
}

function associatedData(tenantId: string, kid: string): Buffer {
  return Buffer.from(JSON.stringify([tenantId, kid]), 'utf8');
}

import type { JWK } from 'jose';
import type { StoredSigningKey } from '../store/ports.js';
import type { SigningAlg } from './algorithms.js';

/** Where private signing keys live (TOKEN_ENGINE_SIGNER). */
export const SIGNER_KINDS = ['sealed', 'pkcs11'] as const;
/** A signer of {@link SIGNER_KINDS}. */
export type SignerKind = (typeof SIGNER_KINDS)[number];

/**
 * A key ready to sign with, whatever holds its private half: imported once (sealed) or
 * found once in the token (PKCS#11), then reused for every token.
 */
export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly createdAt: number;
  /** Public JWK as published: kid kty alg use + public parameters only. */
  readonly publicJwk: Readonly<JWK>;
  /**
   * The JWS signature of `data` (the ASCII of `header.payload`) in its JWS form: PKCS#1
   * v1.5 for RS256, r‖s for ES256, the raw Ed25519 signature for EdDSA. Runs off the
   * event loop. Rejects with a `signer_unavailable` DomainError when the key store cannot sign.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** When a new key is published and when it starts signing (ADR 0003). */
export interface KeySchedule {
  readonly createdAt: number;
  readonly activatesAt: number;
}

/**
 * The signer port (ADR 0005): generates, opens, protects and retires the signing keys of
 * every tenant. The shared store keeps the records (schedule, and either the sealed
 * private key or only the public key); the signer decides what a record holds and
 * vouches for it with an integrity tag over the whole record.
 */
export interface Signer {
  readonly kind: SignerKind;
  /** A new key pair and its record, tagged. */
  generate(tenantId: string, alg: SigningAlg, schedule: KeySchedule): Promise<StoredSigningKey>;
  /**
   * The key of a record, ready to sign. Throws {@link KeyRefusedError} for a record this
   * signer never uses (another signer's, unencrypted under a KEK, extractable); any other
   * error is a configuration problem (wrong KEK, key missing from the token).
   */
  open(tenantId: string, stored: StoredSigningKey): Promise<SigningKey>;
  /** Throws {@link KeyRefusedError} unless the record's integrity tag matches its whole content. */
  verify(tenantId: string, stored: StoredSigningKey): Promise<void>;
  /** The record with a fresh integrity tag (after a schedule change of a verified record). */
  tag(tenantId: string, stored: StoredSigningKey): Promise<StoredSigningKey>;
  /** Destroys what the signer holds of a key whose record is gone (PKCS#11: its token objects). */
  retire(tenantId: string, kid: string): Promise<void>;
  /** Resolves when the signer can sign now; rejects with the reason otherwise (readiness). */
  health(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A stored key this signer will not use: tampered with, written for another signer, or
 * not protected as required. Never fatal: the key is skipped (and logged), and a tenant
 * left without a usable key gets a new one.
 */
export class KeyRefusedError extends Error {
  override readonly name = 'KeyRefusedError';
}

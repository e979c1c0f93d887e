import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { StoredSigningKey } from '../store/ports.js';
import { KeyRefusedError } from './signer.js';

/**
 * Integrity tags over whole signing-key records (ADR 0005, "Record integrity"). The tag
 * covers tenant, kid, algorithm, every schedule time and the key material, so that
 * someone able to write to the store can neither bring a retired key back with a fresh
 * schedule nor move a record to another tenant. The version string is part of the input:
 * a future format cannot be confused with this one.
 */
const TAG_INPUT_VERSION = 'token-engine/signing-key-record/v1';

/** The bytes a record's tag is computed over: one canonical JSON array. */
export function tagInput(tenantId: string, stored: StoredSigningKey): Buffer {
  const material =
    stored.sealedPrivateKey !== undefined
      ? ['sealed', stored.sealedPrivateKey]
      : ['public', stored.publicJwk === undefined ? null : canonicalJwk(stored.publicJwk)];
  return Buffer.from(
    JSON.stringify([
      TAG_INPUT_VERSION,
      tenantId,
      stored.kid,
      stored.alg,
      stored.createdAt,
      stored.activatesAt,
      stored.expiresAt ?? null,
      ...material,
    ]),
    'utf8',
  );
}

/** A JWK's members sorted by name: the same key always gives the same bytes. */
function canonicalJwk(jwk: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(jwk).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Computes a record's MAC (HMAC-SHA-256 of {@link tagInput}); where the key lives is the signer's business. */
export type RecordMac = (input: Buffer) => Promise<Buffer>;

/** The record with its tag set. */
export async function withTag(tenantId: string, stored: StoredSigningKey, mac: RecordMac): Promise<StoredSigningKey> {
  const { mac: _old, ...content } = stored;
  const tag = await mac(tagInput(tenantId, content));
  return { ...content, mac: tag.toString('base64url') };
}

/** Throws KeyRefusedError unless the record carries the tag of its whole content. */
export async function checkTag(tenantId: string, stored: StoredSigningKey, mac: RecordMac): Promise<void> {
  if (stored.mac === undefined) {
    // Records written before tags existed are refused, not trusted: stripping the tag off
    // a tampered record would otherwise be enough to get it accepted.
    throw new KeyRefusedError(`signing key ${stored.kid} has no integrity tag (written by an older version); not used`);
  }
  const expected = await mac(tagInput(tenantId, stored));
  const given = Buffer.from(stored.mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new KeyRefusedError(`signing key ${stored.kid}: its record does not match its integrity tag; not used`);
  }
}

/** The record MAC of the sealed-key signer: HMAC-SHA-256 under a key derived from the KEK (HKDF). */
export function kekRecordMac(kek: Buffer): RecordMac {
  const key = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'token-engine signing-key record mac', 32));
  return async (input) => createHmac('sha256', key).update(input).digest();
}

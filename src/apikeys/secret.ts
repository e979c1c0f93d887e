import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * The API-key secret: `tek_` + key id (16 base62) + 32 random bytes in base62 (43) + a
 * checksum (6 base62 of the CRC-32 of everything before it). The prefix lets secret
 * scanners recognise a leaked key; the checksum lets a mistyped or truncated key be
 * refused before any store access; the key id names the stored record, so the look-up
 * is one read and never a search by digest. Only an HMAC-SHA-256 of the whole secret
 * under a pepper that is not in the store is ever kept.
 */
export const SECRET_PREFIX = 'tek_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Length of a key id. */
export const KEY_ID_LENGTH = 16;
/** 62^43 > 2^256: 43 base62 digits hold any 32 bytes. */
const SECRET_BODY_LENGTH = 43;
const SECRET_BYTES = 32;
const CHECKSUM_LENGTH = 6;
/** Total length of a secret. */
export const SECRET_LENGTH = SECRET_PREFIX.length + KEY_ID_LENGTH + SECRET_BODY_LENGTH + CHECKSUM_LENGTH;
const SHAPE = new RegExp(`^${SECRET_PREFIX}[0-9A-Za-z]{${SECRET_LENGTH - SECRET_PREFIX.length}}$`);
const KEY_ID_SHAPE = new RegExp(`^[0-9A-Za-z]{${KEY_ID_LENGTH}}$`);

/** `n` (non-negative) in base62, left-padded with zeros to `width` digits. */
function base62(n: bigint, width: number): string {
  let out = '';
  let rest = n;
  while (rest > 0n) {
    out = BASE62.charAt(Number(rest % 62n)) + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

/** CRC-32 (IEEE 802.3), as zip and PNG use it. */
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(text: string): number {
  let crc = -1;
  for (let i = 0; i < text.length; i += 1) crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function checksum(body: string): string {
  return base62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

/** A new key id: 16 uniformly random base62 characters (about 95 bits). */
export function newKeyId(): string {
  let id = '';
  for (let i = 0; i < KEY_ID_LENGTH; i += 1) id += BASE62.charAt(randomInt(62));
  return id;
}

/** True when `keyId` has the shape of a key id (what RevokeApiKey accepts). */
export function isKeyId(keyId: string): boolean {
  return KEY_ID_SHAPE.test(keyId);
}

/** A new secret for the key id. */
export function mintSecret(keyId: string): string {
  const body = `${SECRET_PREFIX}${keyId}${base62(BigInt(`0x${randomBytes(SECRET_BYTES).toString('hex')}`), SECRET_BODY_LENGTH)}`;
  return body + checksum(body);
}

/** What reading a presented secret found, before any store access. */
export type ParsedSecret =
  | { readonly kind: 'ok'; readonly keyId: string }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'checksum'; readonly keyId: string };

/** Reads a presented secret: its shape, then its checksum. */
export function parseSecret(presented: string): ParsedSecret {
  if (!SHAPE.test(presented)) return { kind: 'malformed' };
  const keyId = presented.slice(SECRET_PREFIX.length, SECRET_PREFIX.length + KEY_ID_LENGTH);
  const body = presented.slice(0, presented.length - CHECKSUM_LENGTH);
  const given = Buffer.from(presented.slice(presented.length - CHECKSUM_LENGTH), 'ascii');
  const expected = Buffer.from(checksum(body), 'ascii');
  return timingSafeEqual(given, expected) ? { kind: 'ok', keyId } : { kind: 'checksum', keyId };
}

/** The pepper the digests are keyed with: 32 bytes that live only in the replicas' configuration. */
export type Pepper = Buffer;

const PEPPER_INFO = 'token-engine api-key pepper v1';

/** The pepper derived from the key-encryption key (HKDF-SHA-256, its own info label): used when no pepper is configured. */
export function pepperFromKeyEncryptionKey(keyEncryptionKey: Buffer): Pepper {
  return Buffer.from(hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), PEPPER_INFO, 32));
}

/** HMAC-SHA-256 of the whole secret under the pepper, base64url: the only form a store keeps. */
export function secretDigest(pepper: Pepper, secret: string): string {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest('base64url');
}

/** Compares a presented secret's digest with the stored one in constant time. */
export function digestMatches(pepper: Pepper, presented: string, stored: string): boolean {
  const a = Buffer.from(secretDigest(pepper, presented), 'ascii');
  const b = Buffer.from(stored, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}

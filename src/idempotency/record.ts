import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

/** Who and what an idempotency key is scoped to (doc/API.md, "Idempotency"). */
export interface IdempotencyScope {
  readonly tenantId: string;
  readonly callerIdentity: string;
  /** `IssueToken` or `RefreshToken`. */
  readonly method: string;
}

/**
 * Secrets derived from the client's idempotency key and the scope. The store sees only
 * `id`; without the client's key nobody can read a cached response or tell which
 * request it answered (ADR 0002).
 */
export interface IdempotencySecrets {
  /** The record's id in the store (base64url, 43 chars). */
  readonly id: string;
  readonly encryptionKey: KeyObject;
}

const DOMAIN = 'token-engine idempotency v2\0';

/**
 * SHA-512 over a domain label, the length-prefixed scope and the client key: the first
 * half names the record, the second half encrypts it. (A hash, not HKDF: the input is a
 * client-chosen key either way, and this costs a sixth of `hkdfSync` per request.)
 */
export function deriveSecrets(clientKey: string, scope: IdempotencyScope): IdempotencySecrets {
  const scopeText = JSON.stringify([scope.tenantId, scope.callerIdentity, scope.method]);
  const okm = createHash('sha512').update(DOMAIN).update(`${scopeText.length}:${scopeText}\0`).update(clientKey).digest();
  return { id: okm.subarray(0, 32).toString('base64url'), encryptionKey: createSecretKey(okm.subarray(32, 64)) };
}

/** Digest of the canonical request: equal content ⇔ equal fingerprint. Stored only inside the sealed record. */
export function fingerprint(canonicalRequest: unknown): Buffer {
  return createHash('sha256').update(JSON.stringify(canonicalRequest), 'utf8').digest();
}

const COMPLETED = 'c2:';

/** The completed record: the request fingerprint and the response, sealed together with AES-256-GCM. */
export function sealCompleted(secrets: IdempotencySecrets, requestFingerprint: Buffer, response: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secrets.encryptionKey, iv);
  cipher.setAAD(Buffer.from(secrets.id, 'utf8'));
  const plaintext = Buffer.concat([requestFingerprint, Buffer.from(JSON.stringify(response), 'utf8')]);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${COMPLETED}${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens a completed record: whether the request matches, and the response when it does. */
export function openCompleted(
  secrets: IdempotencySecrets,
  requestFingerprint: Buffer,
  record: string,
): { kind: 'match'; response: unknown } | { kind: 'mismatch' } | { kind: 'unreadable' } {
  if (!record.startsWith(COMPLETED)) return { kind: 'unreadable' };
  const [ivText, bodyText] = record.slice(COMPLETED.length).split('.');
  let plaintext: Buffer;
  try {
    const body = Buffer.from(bodyText ?? '', 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', secrets.encryptionKey, Buffer.from(ivText ?? '', 'base64url'));
    decipher.setAAD(Buffer.from(secrets.id, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    return { kind: 'unreadable' };
  }
  const stored = plaintext.subarray(0, requestFingerprint.length);
  if (stored.length !== requestFingerprint.length || !timingSafeEqual(stored, requestFingerprint)) return { kind: 'mismatch' };
  try {
    return { kind: 'match', response: JSON.parse(plaintext.subarray(requestFingerprint.length).toString('utf8')) as unknown };
  } catch {
    return { kind: 'unreadable' };
  }
}

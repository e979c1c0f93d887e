import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Who and what an idempotency key is scoped to (spec §5). */
export interface IdempotencyScope {
  readonly tenantId: string;
  readonly callerIdentity: string;
  /** `IssueToken` or `RefreshToken`. */
  readonly method: string;
}

/**
 * Secrets derived from the client's idempotency key and the scope. The store sees only
 * `id`; without the client's key nobody can read a cached response or tell which
 * request it answered.
 */
export interface IdempotencySecrets {
  /** The record's id in the store (base64url, 43 chars). */
  readonly id: string;
  readonly encryptionKey: Buffer;
  readonly fingerprintKey: Buffer;
}

const INFO = Buffer.from('token-engine idempotency v1', 'utf8');

/** HKDF-SHA256 over the client key, salted with the scope. */
export function deriveSecrets(clientKey: string, scope: IdempotencyScope): IdempotencySecrets {
  const salt = Buffer.from(JSON.stringify([scope.tenantId, scope.callerIdentity, scope.method]), 'utf8');
  const okm = Buffer.from(hkdfSync('sha256', Buffer.from(clientKey, 'utf8'), salt, INFO, 96));
  return {
    id: okm.subarray(0, 32).toString('base64url'),
    encryptionKey: okm.subarray(32, 64),
    fingerprintKey: okm.subarray(64, 96),
  };
}

/** A keyed digest of the canonical request: equal content ⇔ equal fingerprint. */
export function fingerprint(secrets: IdempotencySecrets, canonicalRequest: unknown): Buffer {
  return createHmac('sha256', secrets.fingerprintKey).update(JSON.stringify(canonicalRequest), 'utf8').digest();
}

const COMPLETED = 'c1:';

/** The completed record: fingerprint, then the response sealed with AES-256-GCM. */
export function sealCompleted(secrets: IdempotencySecrets, requestFingerprint: Buffer, response: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secrets.encryptionKey, iv);
  cipher.setAAD(Buffer.from(secrets.id, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${COMPLETED}${requestFingerprint.toString('base64url')}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens a completed record: whether the fingerprint matches, and the response when it does. */
export function openCompleted(
  secrets: IdempotencySecrets,
  requestFingerprint: Buffer,
  record: string,
): { kind: 'match'; response: unknown } | { kind: 'mismatch' } | { kind: 'unreadable' } {
  if (!record.startsWith(COMPLETED)) return { kind: 'unreadable' };
  const [fp, ivText, bodyText] = record.slice(COMPLETED.length).split('.');
  const stored = Buffer.from(fp ?? '', 'base64url');
  if (stored.length !== requestFingerprint.length || !timingSafeEqual(stored, requestFingerprint)) return { kind: 'mismatch' };
  try {
    const body = Buffer.from(bodyText ?? '', 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', secrets.encryptionKey, Buffer.from(ivText ?? '', 'base64url'));
    decipher.setAAD(Buffer.from(secrets.id, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const text = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    return { kind: 'match', response: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'unreadable' };
  }
}

import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  digestMatches,
  isKeyId,
  KEY_ID_LENGTH,
  mintSecret,
  newKeyId,
  parseSecret,
  pepperFromKeyEncryptionKey,
  SECRET_LENGTH,
  secretDigest,
} from '../../../src/apikeys/secret.js';

describe('API-key secrets', () => {
  it('are tek_, the key id, 43 base62 characters of randomness and a 6-character checksum', () => {
    const keyId = newKeyId();
    const secret = mintSecret(keyId);
    expect(secret).toHaveLength(SECRET_LENGTH);
    expect(secret).toMatch(new RegExp(`^tek_${keyId}[0-9A-Za-z]{49}$`));
    expect(parseSecret(secret)).toEqual({ kind: 'ok', keyId });
    expect(mintSecret(keyId)).not.toBe(secret);
  });

  it('key ids are 16 base62 characters and differ', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newKeyId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isKeyId(id) && id.length === KEY_ID_LENGTH).toBe(true);
    expect(isKeyId('short')).toBe(false);
    expect(isKeyId('a'.repeat(15) + '-')).toBe(false);
  });

  it('catches every single-character change and every adjacent swap with the checksum', () => {
    const secret = mintSecret(newKeyId());
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    for (let i = 4; i < secret.length; i += 1) {
      for (const c of alphabet) {
        if (c === secret[i]) continue;
        const typo = secret.slice(0, i) + c + secret.slice(i + 1);
        expect(parseSecret(typo).kind).toBe('checksum');
      }
      if (i + 1 < secret.length && secret[i] !== secret[i + 1]) {
        const swapped = secret.slice(0, i) + secret[i + 1] + secret[i] + secret.slice(i + 2);
        expect(parseSecret(swapped).kind).toBe('checksum');
      }
    }
  });

  it('calls anything of another shape malformed', () => {
    const secret = mintSecret(newKeyId());
    for (const bad of ['', 'tek_', secret.slice(0, -1), `${secret}0`, `tok_${secret.slice(4)}`, secret.replace(/.$/, '-')]) {
      expect(parseSecret(bad)).toEqual({ kind: 'malformed' });
    }
  });

  it('digests are HMAC-SHA-256 under the pepper, compared in constant time', () => {
    const pepper = randomBytes(32);
    const secret = mintSecret(newKeyId());
    const digest = secretDigest(pepper, secret);
    expect(digest).toBe(createHmac('sha256', pepper).update(secret).digest('base64url'));
    expect(digestMatches(pepper, secret, digest)).toBe(true);
    expect(digestMatches(randomBytes(32), secret, digest)).toBe(false);
    expect(digestMatches(pepper, mintSecret(newKeyId()), digest)).toBe(false);
    expect(digestMatches(pepper, secret, '')).toBe(false);
  });

  it('derives a stable pepper from the key-encryption key, distinct from it', () => {
    const kek = randomBytes(32);
    const pepper = pepperFromKeyEncryptionKey(kek);
    expect(pepper).toHaveLength(32);
    expect(pepper.equals(pepperFromKeyEncryptionKey(Buffer.from(kek)))).toBe(true);
    expect(pepper.equals(kek)).toBe(false);
  });
});

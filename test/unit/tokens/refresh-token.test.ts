import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  hasRefreshTokenShape,
  mintRefreshToken,
  newFamilyId,
  refreshTokenDigest,
  tokenRef,
} from '../../../src/tokens/refresh-token.js';

const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

describe('mintRefreshToken', () => {
  it('mints 43-character base64url values of 32 bytes', () => {
    const { value } = mintRefreshToken();
    expect(value).toMatch(BASE64URL_43);
    expect(Buffer.from(value, 'base64url')).toHaveLength(32);
  });

  it('never repeats over 1000 mints', () => {
    const values = new Set<string>();
    const digests = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { value, digest } = mintRefreshToken();
      values.add(value);
      digests.add(digest);
    }
    expect(values.size).toBe(1000);
    expect(digests.size).toBe(1000);
  });

  it('returns the base64url SHA-256 of the value as its digest', () => {
    const { value, digest } = mintRefreshToken();
    expect(digest).toBe(createHash('sha256').update(value).digest('base64url'));
    expect(digest).toBe(refreshTokenDigest(value));
    expect(digest).not.toBe(value);
    expect(digest).not.toContain(value);
  });
});

describe('refreshTokenDigest', () => {
  it('is the base64url SHA-256 of the UTF-8 value', () => {
    expect(refreshTokenDigest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(refreshTokenDigest('é')).toBe(createHash('sha256').update(Buffer.from('é', 'utf8')).digest('base64url'));
  });

  it('differs for different values', () => {
    expect(refreshTokenDigest('a')).not.toBe(refreshTokenDigest('b'));
  });
});

describe('tokenRef', () => {
  it('matches the upstream reference values', () => {
    expect(tokenRef('tok-xyz')).toBe('5d699dd34a86ef68');
    expect(tokenRef('')).toBe('');
  });

  it('is the first 16 lower-case hex characters of SHA-256', () => {
    const { value } = mintRefreshToken();
    const ref = tokenRef(value);
    expect(ref).toMatch(/^[0-9a-f]{16}$/);
    expect(ref).toBe(createHash('sha256').update(value).digest('hex').slice(0, 16));
    expect(value).not.toContain(ref);
  });

  it('is deterministic and distinguishes tokens', () => {
    expect(tokenRef('tok-xyz')).toBe(tokenRef('tok-xyz'));
    expect(tokenRef('tok-xyz')).not.toBe(tokenRef('tok-xyZ'));
  });
});

describe('hasRefreshTokenShape', () => {
  it('accepts minted tokens', () => {
    for (let i = 0; i < 50; i++) expect(hasRefreshTokenShape(mintRefreshToken().value)).toBe(true);
  });

  it.each([
    ['garbage', 'garbage'],
    ['empty', ''],
    ['42 chars', 'A'.repeat(42)],
    ['44 chars', 'A'.repeat(44)],
    ['standard base64 +', `${'A'.repeat(42)}+`],
    ['standard base64 /', `${'A'.repeat(42)}/`],
    ['padding', `${'A'.repeat(42)}=`],
    ['a space', `${'A'.repeat(42)} `],
    ['a trailing newline', `${'A'.repeat(43)}\n`],
    ['non-ASCII', `${'A'.repeat(42)}é`],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'],
  ])('rejects %s', (_name, value) => {
    expect(hasRefreshTokenShape(value)).toBe(false);
  });

  it('accepts every base64url character', () => {
    expect(hasRefreshTokenShape(`${'A'.repeat(39)}z9-_`)).toBe(true);
  });
});

describe('newFamilyId', () => {
  it('is 16 random bytes, base64url', () => {
    const a = newFamilyId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(newFamilyId()).not.toBe(a);
  });
});

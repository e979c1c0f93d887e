import { createHash } from 'node:crypto';
import { randomBytesPooled } from './random.js';

/** 32 random bytes, base64url without padding. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new opaque refresh token: the value goes to the caller, the digest to the store. */
export function mintRefreshToken(): { value: string; digest: string } {
  const value = randomBytesPooled(32).toString('base64url');
  return { value, digest: refreshTokenDigest(value) };
}

/** The at-rest identifier of a refresh token: base64url SHA-256 of its value. */
export function refreshTokenDigest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** False for strings that cannot be one of our refresh tokens (no store lookup needed). */
export function hasRefreshTokenShape(value: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(value);
}

/**
 * The audit and log reference of a token: the first 16 lower-case hex characters of
 * its SHA-256 (upstream `token_ref`; `ref("tok-xyz") = "5d699dd34a86ef68"`, `ref("") = ""`).
 */
export function tokenRef(value: string): string {
  if (value === '') return '';
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

/** A token family id: 16 random bytes, base64url. */
export function newFamilyId(): string {
  return randomBytesPooled(16).toString('base64url');
}

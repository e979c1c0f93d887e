import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { collidingTenants, GoTenantKeys, parseGoKey, parseGoTime, parseGoToken } from '../../../src/migration/go-layout.js';
import { GO_ACCESS_TOKEN_TTL_MS, goKeyPublishedUntil } from '../../../src/migration/migrate.js';

const NOW = Date.parse('2026-07-01T12:00:00Z');
const MIN = 60_000;
const RAW = 'q3JxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const fields = (overrides: Record<string, string | undefined> = {}): Record<string, string> => {
  const all: Record<string, string | undefined> = {
    userID: 'alice',
    expiresAt: String(NOW + 10 * MIN),
    createdAt: String(NOW - 10 * MIN),
    revoked: 'false',
    metadata: '{"role":"admin"}',
    audience: '["api","admin"]',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
};

describe('Go refresh-token hashes', () => {
  it('reads a live token: user, audiences, claims, times, revocation', () => {
    expect(parseGoToken(fields(), NOW)).toEqual({
      kind: 'live',
      subject: 'alice',
      audiences: ['api', 'admin'],
      claims: { role: 'admin' },
      issuedAt: NOW - 10 * MIN,
      expiresAt: NOW + 10 * MIN,
      revoked: false,
      index: { userId: 'alice', audiences: ['api', 'admin'] },
    });
    expect(parseGoToken(fields({ revoked: 'true' }), NOW)).toMatchObject({ kind: 'live', revoked: true });
  });

  it('reads "" and null as no audience and no claims', () => {
    expect(parseGoToken(fields({ audience: '', metadata: '' }), NOW)).toMatchObject({ kind: 'live', audiences: [], claims: {} });
    expect(parseGoToken(fields({ audience: 'null', metadata: 'null' }), NOW)).toMatchObject({ audiences: [], claims: {} });
  });

  it('is expired at expiresAt (the Go rule: expiresAt ≤ now), before any other check', () => {
    expect(parseGoToken(fields({ expiresAt: String(NOW) }), NOW)).toEqual({
      kind: 'expired',
      index: { userId: 'alice', audiences: ['api', 'admin'] },
    });
    expect(parseGoToken(fields({ expiresAt: String(NOW - 1), revoked: 'maybe' }), NOW).kind).toBe('expired');
    expect(parseGoToken(fields({ expiresAt: String(NOW + 1) }), NOW).kind).toBe('live');
  });

  it('drops reserved claim names, as the Go service dropped them from its access tokens', () => {
    expect(parseGoToken(fields({ metadata: '{"sub":"mallory","aud":"x","role":"admin"}' }), NOW)).toMatchObject({
      claims: { role: 'admin' },
    });
  });

  it.each([
    [{ userID: undefined }, 'no userID field'],
    [{ expiresAt: 'soon' }, 'expiresAt is not a time in milliseconds'],
    [{ createdAt: '' }, 'createdAt is not a time in milliseconds'],
    [{ revoked: 'yes' }, 'revoked is neither "true" nor "false"'],
    [{ audience: '"api"' }, 'audience is not a JSON array of strings'],
    [{ audience: '[1]' }, 'audience is not a JSON array of strings'],
    [{ audience: '[' }, 'audience is not JSON'],
    [{ metadata: '[]' }, 'metadata is not a JSON object'],
    [{ metadata: '{"level":3}' }, 'metadata claim "level" is not a string'],
    [{ metadata: '{' }, 'metadata is not JSON'],
    [{ userID: '  ' }, 'userID must not be empty'],
    [{ audience: '["api",""]' }, 'audiences[1] must not be empty'],
    [{ metadata: JSON.stringify({ big: 'x'.repeat(5000) }) }, 'claims["big"] must be at most 4096 bytes'],
  ])('is malformed, with the reason: %o', (overrides, reason) => {
    const token = parseGoToken(fields(overrides), NOW);
    expect(token.kind).toBe('malformed');
    expect(token.kind === 'malformed' && token.reason).toContain(reason);
  });

  it('keeps what it could read of a malformed token for removing its index entries', () => {
    expect(parseGoToken({ revoked: 'true' }, NOW)).toEqual({
      kind: 'malformed',
      reason: expect.stringContaining('no userID') as string,
      index: { userId: undefined, audiences: [] },
    });
    expect(parseGoToken(fields({ metadata: '[]' }), NOW).index).toEqual({ userId: 'alice', audiences: ['api', 'admin'] });
  });
});

describe('Go key names', () => {
  it('puts the tenant id in front with no separator, and escapes glob characters in patterns', () => {
    const keys = new GoTenantKeys('acme*[1]');
    expect(keys.token(RAW)).toBe(`acme*[1]tokens:${RAW}`);
    expect(keys.tokenPattern()).toBe('acme\\*\\[1\\]tokens:*');
    expect(keys.audienceUserIndex('shop', 'bob')).toBe('acme*[1]audience_user_tokens:shop:bob');
    expect(keys.keyPemPattern()).toBe('acme\\*\\[1\\]ks:pem:*');
    expect(keys.idempotencyPatterns()).toEqual([
      'idempotency:acme\\*\\[1\\]:IssueToken:*',
      'idempotency:acme\\*\\[1\\]:RefreshToken:*',
    ]);
  });

  it('recognises only refresh-token names (43 base64url characters) and UUID kids', () => {
    const keys = new GoTenantKeys('x');
    expect(keys.rawTokenOf(`xtokens:${RAW}`)).toBe(RAW);
    expect(keys.rawTokenOf('xtokens:short')).toBeUndefined();
    expect(keys.rawTokenOf(`ytokens:${RAW}`)).toBeUndefined();
    const kid = '3a2b5c4d-1e2f-4a3b-8c9d-0e1f2a3b4c5d';
    expect(keys.kidOf(`xks:pem:${kid}`)).toBe(kid);
    expect(keys.kidOf(`xks:pem:${kid.toUpperCase()}`)).toBeUndefined();
    expect(keys.kidOf('xks:pem:not-a-kid')).toBeUndefined();
  });
});

describe('tenants whose Go keys can collide', () => {
  it('x and xuser_: xuser_tokens:<token> is both the token of xuser_ and the index set of a user of x', () => {
    expect(collidingTenants('x', ['x', 'xuser_'])).toEqual(['xuser_']);
    expect(collidingTenants('xuser_', ['x', 'xuser_'])).toEqual(['x']);
    expect(collidingTenants('x', ['xaudience_'])).toEqual(['xaudience_']);
    expect(collidingTenants('xaudience_', ['x'])).toEqual(['x']);
    expect(collidingTenants('x', ['xks:pem:', 'xks:'])).toEqual(['xks:pem:']);
    expect(collidingTenants('a', ['a:IssueToken:'])).toEqual(['a:IssueToken:']);
  });

  it('a shared prefix alone is no collision when no key kind lines up', () => {
    expect(collidingTenants('acme', ['acme', 'acme-eu', 'acme:eu', 'other'])).toEqual([]);
    expect(collidingTenants('acme-eu', ['acme'])).toEqual([]);
    expect(collidingTenants('x', ['xt', 'xy'])).toEqual([]);
  });
});

describe('Go signing keys', () => {
  const kid = '3a2b5c4d-1e2f-4a3b-8c9d-0e1f2a3b4c5d';
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const meta = (created: string, expires: string, id = kid): string =>
    JSON.stringify({ created_at: created, expires_at: expires, id });

  it('reads a PKCS#1 PEM and its meta: RFC 3339 with nanoseconds and offsets, year 1 as no expiry', () => {
    const key = parseGoKey(kid, pem, meta('2026-07-01T14:00:00.123456789+02:00', '0001-01-01T00:00:00Z'));
    expect(typeof key).toBe('object');
    if (typeof key === 'string') return;
    expect(key.createdAt).toBe(NOW + 123);
    expect(key.expiresAt).toBeUndefined();
    expect(key.privateJwk).toMatchObject({ kty: 'RSA', e: 'AQAB' });
    expect(key.privateJwk.d).toBeTruthy();
    const rotated = parseGoKey(kid, pem, meta('2026-07-01T12:00:00Z', '2026-07-01T13:00:00.5Z'));
    expect(typeof rotated === 'object' && rotated.expiresAt).toBe(NOW + 60 * MIN + 500);
  });

  it.each([
    [pem, undefined, 'no ks:meta entry'],
    [pem, '{', 'ks:meta is not JSON'],
    [pem, meta('2026-07-01T12:00:00Z', '0001-01-01T00:00:00Z', 'another'), 'ks:meta names another kid'],
    [pem, meta('yesterday', '0001-01-01T00:00:00Z'), 'created_at is not an RFC 3339 time'],
    [pem, meta('2026-07-01T12:00:00Z', 'never'), 'expires_at is not an RFC 3339 time'],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
      meta('2026-07-01T12:00:00Z', '0001-01-01T00:00:00Z'),
      'not a PEM private key',
    ],
    [
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      meta('2026-07-01T12:00:00Z', '0001-01-01T00:00:00Z'),
      'shorter than 2048 bits',
    ],
    [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
      meta('2026-07-01T12:00:00Z', '0001-01-01T00:00:00Z'),
      'not an RSA key',
    ],
  ])('refuses a key it cannot use, with the reason (%#)', (pemText, metaText, reason) => {
    const key = parseGoKey(kid, pemText, metaText);
    expect(typeof key).toBe('string');
    expect(key).toContain(reason);
  });

  it('parses Go times', () => {
    expect(parseGoTime('2026-07-01T12:00:00Z')).toBe(NOW);
    expect(parseGoTime('2026-07-01T08:00:00-04:00')).toBe(NOW);
    expect(parseGoTime('2026-07-01T12:00:00.000000001Z')).toBe(NOW);
    expect(parseGoTime('0001-01-01T00:00:00Z')).toBe('zero');
    expect(parseGoTime('2026-07-01 12:00:00')).toBeNull();
  });
});

describe('how long a Go key stays published', () => {
  const cache = 5 * MIN;

  it('the key the Go service signs with (no expiry): until now plus one access-token lifetime plus one cache lifetime', () => {
    expect(goKeyPublishedUntil({ expiresAt: undefined }, NOW, 15 * MIN, cache)).toBe(NOW + 20 * MIN);
  });

  it("a rotated key: from its expiry when that is sooner than now; never shorter than Go's 15 minutes", () => {
    expect(goKeyPublishedUntil({ expiresAt: NOW - 10 * MIN }, NOW, 15 * MIN, cache)).toBe(NOW + 10 * MIN);
    expect(goKeyPublishedUntil({ expiresAt: NOW + 40 * MIN }, NOW, 15 * MIN, cache)).toBe(NOW + 20 * MIN);
    expect(goKeyPublishedUntil({ expiresAt: undefined }, NOW, 5 * MIN, cache)).toBe(NOW + GO_ACCESS_TOKEN_TTL_MS + cache);
    expect(goKeyPublishedUntil({ expiresAt: undefined }, NOW, 60 * MIN, cache)).toBe(NOW + 65 * MIN);
  });

  it('a key whose tokens have all expired is not published at all', () => {
    expect(goKeyPublishedUntil({ expiresAt: NOW - 2 * 60 * MIN }, NOW, 15 * MIN, cache)).toBeLessThan(NOW);
  });
});

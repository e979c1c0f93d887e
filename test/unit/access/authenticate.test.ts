import { describe, it, expect } from 'vitest';
import { Metadata } from '@grpc/grpc-js';
import { presentedApiKey, StaticKeyAuthenticator } from '../../../src/access/authenticate.js';

const authenticator = new StaticKeyAuthenticator(
  new Map([
    ['key1', 'caller1'],
    ['key2', 'caller2'],
  ]),
);

function metadata(entries: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [key, value] of Object.entries(entries)) md.set(key, value);
  return md;
}

describe('StaticKeyAuthenticator', () => {
  it('maps each configured key to its caller', () => {
    expect(authenticator.identify('key1')).toBe('caller1');
    expect(authenticator.identify('key2')).toBe('caller2');
  });

  it.each([
    ['an unknown key', 'key3'],
    ['an empty key', ''],
    ['undefined', undefined],
    ['a prefix of a configured key', 'key'],
    ['a configured key plus a suffix', 'key1x'],
    ['a different case', 'KEY1'],
    ['a key with whitespace', ' key1'],
    ['a caller identity', 'caller1'],
  ])('answers undefined for %s', (_name, presented) => {
    expect(authenticator.identify(presented)).toBeUndefined();
  });

  it('knows no key when none is configured', () => {
    expect(new StaticKeyAuthenticator(new Map()).identify('key1')).toBeUndefined();
  });

  it('distinguishes keys that share a long prefix', () => {
    const long = 'k'.repeat(100);
    const auth = new StaticKeyAuthenticator(
      new Map([
        [`${long}a`, 'a'],
        [`${long}b`, 'b'],
      ]),
    );
    expect(auth.identify(`${long}a`)).toBe('a');
    expect(auth.identify(`${long}b`)).toBe('b');
    expect(auth.identify(long)).toBeUndefined();
  });

  it('matches multi-byte keys exactly', () => {
    const auth = new StaticKeyAuthenticator(new Map([['clé', 'accented']]));
    expect(auth.identify('clé')).toBe('accented');
    expect(auth.identify('cle')).toBeUndefined();
  });
});

describe('presentedApiKey', () => {
  it('reads x-api-key', () => {
    expect(presentedApiKey(metadata({ 'x-api-key': 'key1' }))).toBe('key1');
  });

  it('prefers x-api-key over authorization', () => {
    expect(presentedApiKey(metadata({ 'x-api-key': 'key1', authorization: 'Bearer key2' }))).toBe('key1');
  });

  it('falls back to authorization: Bearer <key>', () => {
    expect(presentedApiKey(metadata({ authorization: 'Bearer key2' }))).toBe('key2');
  });

  it.each(['bearer key2', 'BEARER key2', 'BeArEr key2', 'Bearer   key2'])('accepts the scheme in any case: %s', (value) => {
    expect(presentedApiKey(metadata({ authorization: value }))).toBe('key2');
  });

  it.each([
    ['Basic', 'Basic a2V5MTpwYXNz'],
    ['a bare key', 'key1'],
    ['Bearer without a key', 'Bearer'],
    ['a scheme with Bearer as prefix', 'Bearerkey1'],
    ['a scheme containing Bearer', 'NotBearer key1'],
  ])('ignores authorization with %s', (_name, value) => {
    expect(presentedApiKey(metadata({ authorization: value }))).toBeUndefined();
  });

  it('authenticates nobody with a Bearer scheme and only spaces', () => {
    const auth = new StaticKeyAuthenticator(new Map([['key1', 'caller1']]));
    expect(auth.identify(presentedApiKey(metadata({ authorization: 'Bearer    ' })))).toBeUndefined();
  });

  it('answers undefined without either header', () => {
    expect(presentedApiKey(new Metadata())).toBeUndefined();
    expect(presentedApiKey(metadata({ 'x-correlation-id': 'abc' }))).toBeUndefined();
  });

  it('feeds the authenticator end to end', () => {
    expect(authenticator.identify(presentedApiKey(metadata({ authorization: 'bearer key2' })))).toBe('caller2');
    expect(authenticator.identify(presentedApiKey(metadata({ authorization: 'Basic key2' })))).toBeUndefined();
  });
});

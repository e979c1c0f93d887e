import { randomBytes } from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { SignJWT, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import {
  KeyUnsealError,
  generateSigningKey,
  openSigningKey,
  sealPrivateKey,
  unsealPrivateKey,
} from '../../../src/keys/key-material.js';
import type { SigningAlg } from '../../../src/keys/algorithms.js';
import type { StoredSigningKey } from '../../../src/store/ports.js';

const TENANT = 'tenant-a';
const KEK = randomBytes(32);
const OTHER_KEK = randomBytes(32);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KTY: Record<SigningAlg, string> = { RS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' };
const PUBLIC_MEMBERS: Record<SigningAlg, string[]> = { RS256: ['n', 'e'], ES256: ['crv', 'x', 'y'], EdDSA: ['crv', 'x'] };

/** Reads the private JWK out of a blob sealed without a KEK (plain storage). */
function plainJwk(stored: StoredSigningKey): JWK {
  return JSON.parse(unsealPrivateKey(stored.sealedPrivateKey, TENANT, stored.kid, undefined)) as JWK;
}

describe.each(['RS256', 'ES256', 'EdDSA'] as const)('%s', (alg) => {
  let sealed: StoredSigningKey;
  let plain: StoredSigningKey;

  beforeAll(async () => {
    [sealed, plain] = await Promise.all([
      generateSigningKey(TENANT, alg, { createdAt: 1_000, activatesAt: 1_000 }, KEK),
      generateSigningKey(TENANT, alg, { createdAt: 2_000, activatesAt: 2_000 }, undefined),
    ]);
  }, 30_000);

  it('stores kid, alg and createdAt', () => {
    expect(sealed.alg).toBe(alg);
    expect(sealed.createdAt).toBe(1_000);
    expect(sealed.kid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(plain.kid).not.toBe(sealed.kid);
  });

  it('opens into a key whose signatures verify with the published public JWK', async () => {
    const key = await openSigningKey(TENANT, sealed, KEK);
    expect(key).toMatchObject({ kid: sealed.kid, alg, createdAt: 1_000 });
    const jwt = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg, kid: sealed.kid });
    const publicKey = await importJWK({ ...key.publicJwk }, alg);
    const { payload } = await jwtVerify(jwt, publicKey, { algorithms: [alg] });
    expect(payload.sub).toBe('user-1');
  });

  it('does not verify a signature of another key', async () => {
    const [a, b] = await Promise.all([openSigningKey(TENANT, sealed, KEK), openSigningKey(TENANT, plain, undefined)]);
    const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg }).sign(a.privateKey);
    await expect(jwtVerify(jwt, await importJWK({ ...b.publicJwk }, alg))).rejects.toThrow();
  });

  it('publishes kid kty alg use and public parameters only', async () => {
    const { publicJwk } = await openSigningKey(TENANT, sealed, KEK);
    expect(publicJwk).toMatchObject({ kid: sealed.kid, kty: KTY[alg], alg, use: 'sig' });
    expect(Object.keys(publicJwk).sort()).toEqual(['alg', 'kid', 'kty', 'use', ...PUBLIC_MEMBERS[alg]].sort());
    for (const member of PRIVATE_MEMBERS) expect(publicJwk).not.toHaveProperty(member);
    expect(Object.isFrozen(publicJwk)).toBe(true);
  });

  it('keeps the private key non-extractable', async () => {
    const { privateKey } = await openSigningKey(TENANT, sealed, KEK);
    expect(privateKey.extractable).toBe(false);
    expect(privateKey.type).toBe('private');
  });

  it('seals with a KEK so that the blob reveals nothing of the private key', async () => {
    // The same key sealed both ways: recover its d from the plain form.
    const jwk = plainJwk(plain);
    expect(typeof jwk.d).toBe('string');
    const reSealed = sealPrivateKey(JSON.stringify(jwk), TENANT, plain.kid, KEK);
    expect(reSealed).not.toContain(jwk.d);
    expect(reSealed).not.toContain('"d"');
    expect(sealed.sealedPrivateKey).not.toContain('"d"');
    // A KEK-sealed key cannot be read as plain storage.
    expect(() => plainJwk(sealed)).toThrow();
    const opened = await openSigningKey(TENANT, { ...plain, sealedPrivateKey: reSealed }, KEK);
    expect(opened.publicJwk).toEqual((await openSigningKey(TENANT, plain, undefined)).publicJwk);
  });

  it('fails with KeyUnsealError under a wrong KEK', async () => {
    await expect(openSigningKey(TENANT, sealed, OTHER_KEK)).rejects.toBeInstanceOf(KeyUnsealError);
  });

  it('fails with KeyUnsealError when the key is sealed and no KEK is set', async () => {
    await expect(openSigningKey(TENANT, sealed, undefined)).rejects.toBeInstanceOf(KeyUnsealError);
  });

  it('cannot be moved to another tenant', async () => {
    await expect(openSigningKey('tenant-b', sealed, KEK)).rejects.toBeInstanceOf(KeyUnsealError);
  });

  it('cannot be moved to another kid', async () => {
    const moved = { ...sealed, kid: plain.kid };
    await expect(openSigningKey(TENANT, moved, KEK)).rejects.toBeInstanceOf(KeyUnsealError);
  });

  it('opens a key stored without a KEK only when no KEK is configured', async () => {
    const a = await openSigningKey(TENANT, plain, undefined);
    expect(a.kid).toBe(plain.kid);
    // Under a KEK an unencrypted key could have been planted by anyone who can write the store.
    await expect(openSigningKey(TENANT, plain, KEK)).rejects.toBeInstanceOf(KeyUnsealError);
  });
});

describe('unsealPrivateKey', () => {
  it('round-trips sealPrivateKey', () => {
    const sealed = sealPrivateKey('{"hello":"world"}', TENANT, 'kid-1', KEK);
    expect(sealed).not.toContain('hello');
    expect(unsealPrivateKey(sealed, TENANT, 'kid-1', KEK)).toBe('{"hello":"world"}');
  });

  it('uses a fresh IV per seal', () => {
    expect(sealPrivateKey('same', TENANT, 'kid-1', KEK)).not.toBe(sealPrivateKey('same', TENANT, 'kid-1', KEK));
  });

  it('rejects tampered ciphertext', () => {
    const sealed = sealPrivateKey('{"hello":"world"}', TENANT, 'kid-1', KEK);
    // A character in the middle of the body encodes six whole bits of ciphertext.
    const at = sealed.lastIndexOf('.') + 4;
    const tampered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    expect(() => unsealPrivateKey(tampered, TENANT, 'kid-1', KEK)).toThrow(KeyUnsealError);
  });

  it('does not let tenant and kid boundaries shift', () => {
    const sealed = sealPrivateKey('x', 'a', 'b:c', KEK);
    expect(() => unsealPrivateKey(sealed, 'a:b', 'c', KEK)).toThrow(KeyUnsealError);
    expect(() => unsealPrivateKey(sealed, 'ab', 'c', KEK)).toThrow(KeyUnsealError);
  });

  it('rejects an unknown storage format', () => {
    expect(() => unsealPrivateKey('rot13.abc', TENANT, 'kid-1', KEK)).toThrow(KeyUnsealError);
  });

  it('never puts the KEK in its error message', () => {
    const sealed = sealPrivateKey('x', TENANT, 'kid-1', KEK);
    try {
      unsealPrivateKey(sealed, TENANT, 'kid-1', OTHER_KEK);
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).not.toContain(OTHER_KEK.toString('base64'));
      expect(message).not.toContain(OTHER_KEK.toString('hex'));
      expect(message).not.toContain(KEK.toString('base64'));
    }
  });
});

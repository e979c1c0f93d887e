import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { SIGNING_ALGS } from '../../../src/keys/algorithms.js';
import { SealedKeySigner } from '../../../src/keys/sealed-signer.js';
import { KeyRefusedError } from '../../../src/keys/signer.js';
import type { StoredSigningKey } from '../../../src/store/ports.js';
import { signAccessToken } from '../../../src/tokens/access-token.js';

const TENANT = 'tenant-a';
const KEK = randomBytes(32);
const schedule = { createdAt: 1_000, activatesAt: 2_000 };

describe.each(SIGNING_ALGS)('tokens assembled in the process, %s', (alg) => {
  it('are compact JWS that jose verifies with the published key', async () => {
    const signer = new SealedKeySigner(KEK);
    const key = await signer.open(TENANT, await signer.generate(TENANT, alg, schedule));
    const { token, expiresAtMs } = await signAccessToken(
      key,
      { issuer: 'iss', subject: 'alice', audiences: ['a', 'b'], claims: { role: 'admin' }, sessionId: 'fam', sequence: 7 },
      Date.now(),
      60_000,
    );
    expect(token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(token)).toEqual({ alg, kid: key.kid, typ: 'JWT' });
    const { payload } = await jwtVerify(token, await importJWK({ ...key.publicJwk }, alg), {
      algorithms: [alg],
      issuer: 'iss',
      audience: 'b',
    });
    expect(payload).toMatchObject({ sub: 'alice', aud: ['a', 'b'], role: 'admin', exp: expiresAtMs / 1000 });
    expect(Object.keys(decodeJwt(token))).toEqual(['role', 'iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti', 'sid', 'rsq']);
  });

  it('do not verify once a byte of the signing input changes', async () => {
    const signer = new SealedKeySigner(KEK);
    const key = await signer.open(TENANT, await signer.generate(TENANT, alg, schedule));
    const { token } = await signAccessToken(
      key,
      { issuer: 'i', subject: 's', audiences: ['a'], claims: {}, sessionId: 'f', sequence: 1 },
      Date.now(),
      60_000,
    );
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(payload ?? '', 'base64url')
      .toString('utf8')
      .replace('"sub":"s"', '"sub":"t"');
    const tampered = `${header}.${Buffer.from(forged).toString('base64url')}.${signature}`;
    await expect(jwtVerify(tampered, await importJWK({ ...key.publicJwk }, alg))).rejects.toThrow();
  });
});

describe('record integrity tags under a KEK', () => {
  const signer = new SealedKeySigner(KEK);
  const generated = signer.generate(TENANT, 'ES256', schedule);

  it('tags every new record, and the record verifies', async () => {
    const record = await generated;
    expect(record.mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(signer.verify(TENANT, record)).resolves.toBeUndefined();
    await expect(signer.open(TENANT, record)).resolves.toMatchObject({ kid: record.kid });
  });

  const changes: [string, (r: StoredSigningKey) => StoredSigningKey][] = [
    ['expiresAt cleared', (r) => ({ ...r, expiresAt: undefined })],
    ['expiresAt moved', (r) => ({ ...r, expiresAt: 9_999_999 })],
    ['activatesAt moved', (r) => ({ ...r, activatesAt: r.activatesAt + 1 })],
    ['createdAt moved', (r) => ({ ...r, createdAt: r.createdAt + 1 })],
    ['alg changed', (r) => ({ ...r, alg: 'RS256' })],
    ['tag removed (the format before tags)', (r) => ({ ...r, mac: undefined })],
    ['tag of another record', (r) => ({ ...r, mac: Buffer.alloc(32, 1).toString('base64url') })],
  ];
  it.each(changes)('refuses a record with its %s', async (_what, change) => {
    const retired = await signer.tag(TENANT, { ...(await generated), expiresAt: 5_000 });
    const tampered = change(retired);
    await expect(signer.verify(TENANT, tampered)).rejects.toBeInstanceOf(KeyRefusedError);
    await expect(signer.open(TENANT, tampered)).rejects.toBeInstanceOf(KeyRefusedError);
  });

  it('refuses a record moved to another tenant', async () => {
    await expect(signer.verify('tenant-b', await generated)).rejects.toBeInstanceOf(KeyRefusedError);
  });

  it('refuses a record tagged under another KEK, once its key unseals', async () => {
    const other = new SealedKeySigner(randomBytes(32));
    const theirs = await other.generate(TENANT, 'ES256', schedule);
    await expect(signer.verify(TENANT, theirs)).rejects.toBeInstanceOf(KeyRefusedError);
  });

  it('re-tags a schedule change it makes itself', async () => {
    const retired = await signer.tag(TENANT, { ...(await generated), expiresAt: 5_000 });
    expect(retired.mac).not.toBe((await generated).mac);
    await expect(signer.verify(TENANT, retired)).resolves.toBeUndefined();
  });

  it('refuses a record of the PKCS#11 signer', async () => {
    const { sealedPrivateKey: _sealed, ...rest } = await generated;
    const pkcs11Record = await signer.tag(TENANT, { ...rest, publicJwk: { kty: 'EC' } });
    await expect(signer.open(TENANT, pkcs11Record)).rejects.toBeInstanceOf(KeyRefusedError);
  });
});

describe('without a KEK', () => {
  it('writes no tag and checks none (the store is trusted as a whole; the configuration warns)', async () => {
    const signer = new SealedKeySigner(undefined);
    const record = await signer.generate(TENANT, 'EdDSA', schedule);
    expect(record.mac).toBeUndefined();
    await expect(signer.open(TENANT, { ...record, expiresAt: 1 })).resolves.toMatchObject({ kid: record.kid });
  });
});

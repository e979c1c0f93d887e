import type { JWK } from 'jose';
import type { Attribute, Mechanism, Template } from 'pkcs11js';
import type { SigningAlg } from '../algorithms.js';
import { type Binding, CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA } from './module.js';

/** DER of the named curves: P-256 (1.2.840.10045.3.1.7) and Ed25519 (1.3.101.112). */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const ED25519_PARAMS = Buffer.from('06032b6570', 'hex');

/** How one JWS algorithm maps onto PKCS#11. */
export interface AlgorithmProfile {
  readonly keyType: number;
  readonly generate: Mechanism;
  /** The signing mechanism; ES256 signs the SHA-256 digest computed in the process. */
  readonly sign: Mechanism;
  readonly prehash: boolean;
  /** Signature length in bytes (RSA-2048: 256; r‖s of P-256 and Ed25519: 64). */
  readonly signatureLength: number;
  /** Key-type-specific attributes of the public and private key templates. */
  readonly publicAttributes: Template;
}

/** The PKCS#11 side of each algorithm of SIGNING_ALGS. */
export function algorithmProfile(p11: Binding, alg: SigningAlg): AlgorithmProfile {
  if (alg === 'RS256') {
    return {
      keyType: p11.CKK_RSA,
      generate: { mechanism: p11.CKM_RSA_PKCS_KEY_PAIR_GEN },
      sign: { mechanism: p11.CKM_SHA256_RSA_PKCS },
      prehash: false,
      signatureLength: 256,
      publicAttributes: [
        { type: p11.CKA_MODULUS_BITS, value: 2048 },
        { type: p11.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
    };
  }
  if (alg === 'ES256') {
    return {
      keyType: p11.CKK_EC,
      generate: { mechanism: p11.CKM_EC_KEY_PAIR_GEN },
      // CKM_ECDSA signs a digest and returns r‖s, each 32 bytes: already the JWS form.
      sign: { mechanism: p11.CKM_ECDSA },
      prehash: true,
      signatureLength: 64,
      publicAttributes: [{ type: p11.CKA_EC_PARAMS, value: P256_PARAMS }],
    };
  }
  return {
    keyType: CKK_EC_EDWARDS,
    generate: { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
    sign: { mechanism: CKM_EDDSA },
    prehash: false,
    signatureLength: 64,
    publicAttributes: [{ type: p11.CKA_EC_PARAMS, value: ED25519_PARAMS }],
  };
}

/**
 * Templates of a new key pair labelled (and identified) by its kid. The private key is a
 * token object that is sensitive and never extractable: its value can never be read or
 * wrapped out of the token, only used to sign.
 */
export function keyPairTemplates(
  p11: Binding,
  profile: AlgorithmProfile,
  kid: string,
): { publicKey: Template; privateKey: Template } {
  const common: Attribute[] = [
    { type: p11.CKA_TOKEN, value: true },
    { type: p11.CKA_KEY_TYPE, value: profile.keyType },
    { type: p11.CKA_LABEL, value: kid },
    { type: p11.CKA_ID, value: Buffer.from(kid, 'utf8') },
  ];
  return {
    publicKey: [
      { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
      ...common,
      { type: p11.CKA_PRIVATE, value: false },
      { type: p11.CKA_VERIFY, value: true },
      ...profile.publicAttributes,
    ],
    privateKey: [
      { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
      ...common,
      { type: p11.CKA_PRIVATE, value: true },
      { type: p11.CKA_SENSITIVE, value: true },
      { type: p11.CKA_EXTRACTABLE, value: false },
      { type: p11.CKA_SIGN, value: true },
    ],
  };
}

/** The attributes of a public key object that make up its JWK. */
export function publicKeyAttributes(p11: Binding, alg: SigningAlg): Template {
  return alg === 'RS256' ? [{ type: p11.CKA_MODULUS }, { type: p11.CKA_PUBLIC_EXPONENT }] : [{ type: p11.CKA_EC_POINT }];
}

/** The public JWK (kid kty alg use + public parameters) from a public key's attributes. */
export function publicJwkOf(p11: Binding, alg: SigningAlg, kid: string, attributes: Template): JWK {
  const value = (type: number): Buffer => {
    const found = attributes.find((a) => a.type === type)?.value;
    if (!Buffer.isBuffer(found)) throw new Error(`signing key ${kid}: the token returned no attribute ${type}`);
    return found;
  };
  const b64 = (bytes: Buffer): string => bytes.toString('base64url');
  if (alg === 'RS256') {
    return {
      kid,
      kty: 'RSA',
      alg,
      use: 'sig',
      n: b64(unsigned(value(p11.CKA_MODULUS))),
      e: b64(unsigned(value(p11.CKA_PUBLIC_EXPONENT))),
    };
  }
  const point = ecPoint(value(p11.CKA_EC_POINT), alg === 'ES256' ? 65 : 32, kid);
  if (alg === 'ES256') {
    if (point[0] !== 0x04) throw new Error(`signing key ${kid}: the token returned a compressed EC point`);
    return { kid, kty: 'EC', alg, use: 'sig', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)) };
  }
  return { kid, kty: 'OKP', alg, use: 'sig', crv: 'Ed25519', x: b64(point) };
}

/** CKA_EC_POINT is a DER OCTET STRING by the standard; some libraries return the bare point. */
function ecPoint(raw: Buffer, length: number, kid: string): Buffer {
  if (raw.length === length) return raw;
  if (raw.length === length + 2 && raw[0] === 0x04 && raw[1] === length) return raw.subarray(2);
  throw new Error(`signing key ${kid}: unexpected CKA_EC_POINT of ${raw.length} bytes`);
}

/** A big-endian integer without leading zero bytes (JWK form). */
function unsigned(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

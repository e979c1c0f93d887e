import type { SigningKey } from '../../src/keys/signer.js';

/**
 * A compact JWS of `payload` signed by one of the service's own keys (through its signer,
 * as the service signs), with any header a test needs: for tokens the service would never
 * issue (expired, foreign claims, odd headers).
 */
export async function signWith(
  key: SigningKey,
  payload: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>> = {},
): Promise<string> {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const input = `${encode({ alg: key.alg, kid: key.kid, ...header })}.${encode(payload)}`;
  const signature = await key.sign(Buffer.from(input, 'ascii'));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

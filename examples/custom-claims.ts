/**
 * Custom claims end to end: the issuing side adds claims, and a resource server verifies
 * the access token against the service's JWKS (jose `createRemoteJWKSet`, which caches
 * the keys and refetches on an unknown `kid`) and reads the claims.
 *
 *   node dist/client/examples/custom-claims.js --tenant local-dev --http http://127.0.0.1:8080
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { connect, jwksUrl, runIfMain, type ExampleOptions } from './support.js';

export interface CustomClaimsResult {
  readonly sub: string | undefined;
  readonly aud: string | string[] | undefined;
  readonly role: unknown;
  readonly plan: unknown;
  readonly kid: string | undefined;
}

/** The resource server's side: verify signature, issuer, audience and lifetime, then read the claims. */
export async function verifyAccessToken(
  accessToken: string,
  options: { httpBase: string; tenantId: string; issuer?: string; audience: string },
): Promise<CustomClaimsResult> {
  const keys = createRemoteJWKSet(jwksUrl(options.httpBase, options.tenantId));
  // The default tenant's issuer is its id (TOKEN_ENGINE_ISSUER).
  const { payload, protectedHeader } = await jwtVerify(accessToken, keys, {
    issuer: options.issuer ?? options.tenantId,
    audience: options.audience,
  });
  return { sub: payload.sub, aud: payload.aud, role: payload['role'], plan: payload['plan'], kid: protectedHeader.kid };
}

export async function main(options: ExampleOptions): Promise<CustomClaimsResult> {
  const client = connect(options);
  try {
    const pair = await client.issueToken({
      tenantId: options.tenantId,
      sub: 'carol',
      audiences: ['orders-api'],
      claims: { role: 'editor', plan: 'pro' },
    });
    return await verifyAccessToken(pair.accessToken, {
      httpBase: options.httpBase,
      tenantId: options.tenantId,
      audience: 'orders-api',
    });
  } finally {
    client.close();
  }
}

await runIfMain(import.meta.url, main);

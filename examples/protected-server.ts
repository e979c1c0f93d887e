/**
 * A resource server protected by the local verifier: a small HTTP server that accepts a
 * request only with an active access token, checked in-process (JWKS and the revocation
 * stream; no call to token-engine per request). The example issues a token, calls the
 * server, revokes the user's tokens, and shows the same token refused within a second.
 *
 *   node dist/client/examples/protected-server.js --address 127.0.0.1:9090 --http http://127.0.0.1:8080 --tenant local-dev
 */
import { createServer, type Server } from 'node:http';
import { createVerifier, type TokenVerifier } from '../client/index.js';
import { connect, jwksUrl, runIfMain, type ExampleOptions } from './support.js';

export interface ProtectedServerResult {
  /** The answer to the request with a fresh token. */
  readonly before: { readonly status: number; readonly body: unknown };
  /** The answer to the same request after RevokeAllUserTokens. */
  readonly after: { readonly status: number; readonly body: unknown };
  /** The answer to a request without a token. */
  readonly anonymous: number;
  /** The revocation reached the server's verifier within a second. */
  readonly refusedWithinOneSecond: boolean;
}

/** GET /orders: 200 with the caller's identity, or 401 with the reason. */
function protect(verifier: TokenVerifier): Server {
  return createServer((req, res) => {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!match?.[1]) return answer(401, { error: 'missing_token' });
    verifier.verify(match[1]).then(
      (result) => (result.active ? answer(200, { sub: result.sub, orders: [] }) : answer(401, { error: result.reason })),
      () => answer(500, { error: 'internal' }),
    );
  });
}

async function get(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.json() };
}

export async function main(options: ExampleOptions): Promise<ProtectedServerResult> {
  const { tenantId } = options;
  const credentials = options.tls ? { tls: options.tls } : { apiKey: options.apiKey ?? '' };
  const verifier = createVerifier({
    address: options.address,
    tenant: tenantId,
    jwksUrl: jwksUrl(options.httpBase, tenantId),
    ...credentials,
  });
  const client = connect(options);
  const server = protect(verifier);
  try {
    await verifier.ready();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address !== 'object') throw new Error('the example server has no port');
    const url = `http://127.0.0.1:${address.port}/orders`;

    const pair = await client.issueToken({ tenantId, sub: 'ivy' });
    const before = await get(url, pair.accessToken);
    await client.revokeAllUserTokens({ tenantId, userId: 'ivy' });
    const revokedAt = Date.now();
    let after = await get(url, pair.accessToken);
    while (after.status === 200 && Date.now() - revokedAt < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = await get(url, pair.accessToken);
    }
    return {
      before,
      after,
      anonymous: (await get(url)).status,
      refusedWithinOneSecond: after.status === 401 && Date.now() - revokedAt <= 1_000,
    };
  } finally {
    server.close();
    verifier.close();
    client.close();
  }
}

await runIfMain(import.meta.url, main);

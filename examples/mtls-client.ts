/**
 * mTLS (`TOKEN_ENGINE_TLS_MODE=mtls`): the client certificate's subject CN is the caller
 * identity, which the caller registry must permit for the tenant. No API key.
 *
 *   node dist/client/examples/mtls-client.js --address token-engine:9090 --tenant https://auth.example.com \
 *     --cert client.crt --key client.key --ca ca.crt [--server-name token-engine.internal]
 */
import { isTokenEngineError, Status } from '../client/index.js';
import { connect, runIfMain, type ExampleOptions } from './support.js';

export interface MtlsClientResult {
  readonly issued: boolean;
  readonly accessTokenExpiresIn: number;
  /** What refreshing answered after all of the user's tokens were revoked (PERMISSION_DENIED). */
  readonly refreshAfterRevokeAll: string;
}

export async function main(options: ExampleOptions): Promise<MtlsClientResult> {
  if (!options.tls) throw new Error('mtls-client needs tls options (--cert, --key, --ca)');
  const client = connect(options);
  try {
    const { tenantId } = options;
    const pair = await client.issueToken({ tenantId, sub: 'mtls-user', audiences: ['orders-api'] });
    await client.revokeAllUserTokens({ tenantId, userId: 'mtls-user' });
    let refreshAfterRevokeAll = 'OK';
    try {
      await client.refreshToken({ tenantId, refreshToken: pair.refreshToken });
    } catch (err) {
      if (!isTokenEngineError(err, Status.PERMISSION_DENIED)) throw err;
      refreshAfterRevokeAll = err.codeName;
    }
    return { issued: pair.accessToken !== '', accessTokenExpiresIn: pair.accessTokenExpiresIn, refreshAfterRevokeAll };
  } finally {
    client.close();
  }
}

await runIfMain(import.meta.url, main);

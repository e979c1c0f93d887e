/**
 * The basic flow over plaintext gRPC with an API key: issue a pair, refresh it (rotation),
 * revoke the new refresh token, and see the revoked token refused.
 *
 *   node dist/client/examples/plain-client.js --address 127.0.0.1:9090 --tenant local-dev
 */
import { isTokenEngineError, Status } from '../client/index.js';
import { connect, runIfMain, type ExampleOptions } from './support.js';

export interface PlainClientResult {
  readonly accessTokenExpiresIn: number;
  readonly refreshTokenExpiresIn: number;
  /** The refresh returned a different refresh token: the presented one was consumed. */
  readonly rotated: boolean;
  /** What refreshing with the revoked token answered (PERMISSION_DENIED). */
  readonly refreshAfterRevoke: string;
}

export async function main(options: ExampleOptions): Promise<PlainClientResult> {
  const client = connect(options);
  try {
    const { tenantId } = options;
    const issued = await client.issueToken({ tenantId, sub: 'alice' });
    const refreshed = await client.refreshToken({ tenantId, refreshToken: issued.refreshToken });
    await client.revokeToken({ tenantId, refreshToken: refreshed.refreshToken });

    let refreshAfterRevoke = 'OK';
    try {
      await client.refreshToken({ tenantId, refreshToken: refreshed.refreshToken });
    } catch (err) {
      if (!isTokenEngineError(err, Status.PERMISSION_DENIED)) throw err;
      refreshAfterRevoke = err.codeName;
    }
    return {
      accessTokenExpiresIn: issued.accessTokenExpiresIn,
      refreshTokenExpiresIn: issued.refreshTokenExpiresIn,
      rotated: refreshed.refreshToken !== issued.refreshToken,
      refreshAfterRevoke,
    };
  } finally {
    client.close();
  }
}

await runIfMain(import.meta.url, main);

/**
 * A program's credential: an API key created once (its secret shown only then), exchanged
 * for a short-lived access token whenever the program needs one, then revoked, which stops
 * the key and the tokens it minted. Needs a server with API keys on
 * (TOKEN_ENGINE_API_KEY_PEPPER, or TOKEN_ENGINE_KEY_ENCRYPTION_KEY).
 *
 *   node dist/client/examples/api-key-exchange.js --address 127.0.0.1:9090 --tenant local-dev
 */
import { isTokenEngineError, Status } from '../client/index.js';
import { connect, type ExampleOptions, runIfMain } from './support.js';

export interface ApiKeyExchangeResult {
  readonly keyId: string;
  /** `sub` of the minted token: the key's owner. */
  readonly tokenSubject: string;
  readonly tokenExpiresIn: number;
  /** The minted token names the key (`akid`), as ValidateToken reports it. */
  readonly tokenApiKeyId: string;
  /** What exchanging the revoked key answered (UNAUTHENTICATED). */
  readonly exchangeAfterRevoke: string;
  /** ValidateToken on the token minted before the revocation (`revoked`). */
  readonly tokenAfterRevoke: string;
}

export async function main(options: ExampleOptions): Promise<ApiKeyExchangeResult> {
  const client = connect(options);
  try {
    const { tenantId } = options;
    // Store `apiKey` in the program's secret store now: the server never shows it again.
    const { apiKey, info } = await client.createApiKey({
      tenantId,
      owner: 'ci-bot',
      name: 'nightly deploy',
      claims: { tier: 'automation' },
      expiresIn: 30 * 24 * 3600,
    });

    const token = await client.exchangeApiKey({ tenantId, apiKey });
    const validation = await client.validateToken({ tenantId, accessToken: token.accessToken });

    await client.revokeApiKey({ tenantId, keyId: info.keyId });
    let exchangeAfterRevoke = 'OK';
    try {
      await client.exchangeApiKey({ tenantId, apiKey });
    } catch (err) {
      if (!isTokenEngineError(err, Status.UNAUTHENTICATED)) throw err;
      exchangeAfterRevoke = err.codeName;
    }
    const after = await client.validateToken({ tenantId, accessToken: token.accessToken });
    return {
      keyId: info.keyId,
      tokenSubject: validation.active ? validation.sub : '',
      tokenExpiresIn: token.expiresIn,
      tokenApiKeyId: validation.active ? validation.apiKeyId : '',
      exchangeAfterRevoke,
      tokenAfterRevoke: after.active ? 'active' : after.reason,
    };
  } finally {
    client.close();
  }
}

await runIfMain(import.meta.url, main);

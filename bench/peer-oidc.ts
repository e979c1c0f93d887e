// The peer a user would pick instead: node-oidc-provider issuing JWT access tokens with the
// client_credentials grant, the memory adapter and the same signing algorithm, so that
// `make bench` can print token-engine's IssueToken next to it under the same load shape.
// Usage: node dist/bench/bench/peer-oidc.js <port> <ES256|RS256|EdDSA>  → prints "listening"
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { isSigningAlg, type SigningAlg } from '../src/keys/algorithms.js';

const [portText = '0', algText = 'ES256'] = process.argv.slice(2);
if (!isSigningAlg(algText)) throw new Error(`unknown algorithm ${algText}`);
const alg: SigningAlg = algText;
const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
const jwk = { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: 'peer-1' };
/** The one client of the benchmark; its secret only ever reaches 127.0.0.1. */
export const PEER_CLIENT = { id: 'bench', secret: 'bench-secret' };

const provider = new Provider(`http://127.0.0.1:${portText}`, {
  clients: [
    {
      client_id: PEER_CLIENT.id,
      client_secret: PEER_CLIENT.secret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    },
  ],
  clientDefaults: { id_token_signed_response_alg: alg, grant_types: ['client_credentials'], response_types: [] },
  jwks: { keys: [jwk] },
  ttl: { ClientCredentials: 900 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:bench:api',
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: 'urn:bench:api',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 900,
        jwt: { sign: { alg } },
      }),
    },
  },
});
// The provider warns once that the memory adapter is for development; that is the point here.
process.removeAllListeners('warning');
const server = provider.listen(Number(portText), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// The gRPC ceiling: a bare grpc-js server answering with a response of the real size, no
// interceptors, no work: IssueToken with a TokenPair, ValidateToken with an active
// ValidateTokenResponse, and Envoy's Check with an allowing CheckResponse.
// Prints {"port": n} when listening.
// Usage: node dist/bench/bench/echo-server.js <accessTokenLength>
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { TokenEngineHandlers } from '../src/generated/token/v1/TokenEngine.js';
import type { TokenPair } from '../src/generated/token/v1/TokenPair.js';
import type { ValidateTokenResponse } from '../src/generated/token/v1/ValidateTokenResponse.js';
import { ENVOY_AUTH_PROTO, IDENTITY_HEADERS } from '../src/ext-authz/check.js';
import { loadTokenEngineProto } from '../src/grpc/proto.js';

const accessTokenLength = Number(process.argv[2] ?? 700);
const pair: TokenPair = {
  access_token: 'x'.repeat(accessTokenLength),
  refresh_token: 'r'.repeat(43),
  access_token_expires_in: 900,
  refresh_token_expires_in: 2592000,
};
const validation: ValidateTokenResponse = {
  active: true,
  reason: '',
  sub: 'bench-validate-1',
  audiences: ['bench-api'],
  issued_at: 1_700_000_000,
  expires_at: 1_700_000_900,
  jti: '2f1c5a43-7d55-4f0e-9a3b-1b6c5d4e3f21',
  claims: { role: 'reader' },
  dpop_jkt: '',
  api_key_id: '',
};
const header = (key: string, value: string) => ({
  header: { key, value },
  append: { value: false },
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
});
const allowed = {
  status: { code: 0, message: '' },
  ok_response: {
    headers: [
      header(IDENTITY_HEADERS.sub, 'bench-validate-1'),
      header(IDENTITY_HEADERS.tenant, 'bench-tenant'),
      header(IDENTITY_HEADERS.jti, validation.jti ?? ''),
      header(IDENTITY_HEADERS.aud, 'bench-api'),
    ],
    headers_to_remove: [],
  },
};
const { service, packageDefinition } = loadTokenEngineProto([ENVOY_AUTH_PROTO]);
const server = new Server({ 'grpc.max_concurrent_streams': 1000 });
const handlers: Pick<TokenEngineHandlers, 'IssueToken' | 'ValidateToken'> = {
  IssueToken: (_call, cb) => cb(null, pair),
  ValidateToken: (_call, cb) => cb(null, validation),
};
server.addService(service, handlers);
const authorization = packageDefinition['envoy.service.auth.v3.Authorization'];
if (!authorization || 'format' in authorization) throw new Error('the Envoy protos are not loaded');
const check: UntypedServiceImplementation = {
  Check: (_call: unknown, cb: (err: null, res: unknown) => void) => cb(null, allowed),
};
server.addService(authorization, check);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(JSON.stringify({ port }));
});

// The gRPC ceiling: a bare grpc-js server answering IssueToken with a TokenPair of the
// real size, no interceptors, no work. Prints {"port": n} when listening.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { TokenPair } from '../src/generated/token/v1/TokenPair.js';
import type { TokenEngineHandlers } from '../src/generated/token/v1/TokenEngine.js';
import { loadTokenEngineProto } from '../src/grpc/proto.js';

const accessTokenLength = Number(process.argv[2] ?? 700);
const pair: TokenPair = {
  access_token: 'x'.repeat(accessTokenLength),
  refresh_token: 'r'.repeat(43),
  access_token_expires_in: 900,
  refresh_token_expires_in: 2592000,
};
const { service } = loadTokenEngineProto();
const server = new Server({ 'grpc.max_concurrent_streams': 1000 });
const handlers: Pick<TokenEngineHandlers, 'IssueToken'> = { IssueToken: (_call, cb) => cb(null, pair) };
server.addService(service, handlers);
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(JSON.stringify({ port }));
});

/**
 * The wire contract for the client: the server's own loader (`src/grpc/proto.ts`), so the
 * client reads the same `proto/token/v1/token_engine.proto` with the same
 * `proto/loader-options.json` the server and `scripts/proto-gen.mjs` use.
 */
import type { ProtoGrpcType } from '../src/generated/token_engine.js';
import { findProtoDir, LOADER_OPTIONS, loadTokenEngineProto, TOKEN_ENGINE_PROTO } from '../src/grpc/proto.js';

export { findProtoDir, TOKEN_ENGINE_PROTO };

/** proto/loader-options.json as proto-loader takes it. */
export function readLoaderOptions(): typeof LOADER_OPTIONS {
  return LOADER_OPTIONS;
}

let cached: ProtoGrpcType | undefined;

/** The typed `token.v1` package, loaded once per process. */
export function loadClientProto(): ProtoGrpcType {
  cached ??= loadTokenEngineProto().proto;
  return cached;
}

/**
 * The client's method table, derived from the server's RPC descriptors: a method's name,
 * path and whether it is safe to repeat are written once, where the method is defined.
 */
import type { TokenEngineDefinition } from '../src/generated/token/v1/TokenEngine.js';
import { TOKEN_ENGINE_RPCS } from '../src/rpcs.js';

/** The proto name of a `token.v1.TokenEngine` method (`IssueToken`). */
export type RpcName = keyof TokenEngineDefinition & string;

/** What the wire sends for a method (snake_case request message). */
export type WireRequest<M extends RpcName> = TokenEngineDefinition[M] extends { requestSerialize(value: infer Req): Buffer }
  ? Req
  : never;
/** What the wire answers for a method (proto-loader output message). */
export type WireResponse<M extends RpcName> = TokenEngineDefinition[M] extends {
  responseDeserialize(bytes: Buffer): infer Res;
}
  ? Res
  : never;

/** Every method, in proto order. */
export const RPC_NAMES: readonly RpcName[] = TOKEN_ENGINE_RPCS.map((rpc) => rpc.method as RpcName);

/** True for the proto name of a method of the service. */
export function isRpcName(name: string): name is RpcName {
  return (RPC_NAMES as readonly string[]).includes(name);
}

/**
 * Methods whose effect is the same done once or twice (revocations), so they are always
 * safe to repeat. IssueToken and RefreshToken are not: a repeated IssueToken mints a
 * second pair and a repeated RefreshToken trips reuse detection — unless an idempotency
 * key makes the server replay the first answer.
 */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(
  TOKEN_ENGINE_RPCS.filter((rpc) => rpc.repeatable).map((rpc) => rpc.method),
);

/** The server-streaming methods (WatchRevocations): `invoke` and `token-engine-cli call` take unary methods only. */
export const STREAM_METHODS: ReadonlySet<string> = new Set(
  TOKEN_ENGINE_RPCS.filter((rpc) => rpc.kind === 'server_stream').map((rpc) => rpc.method),
);

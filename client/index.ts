/**
 * token-engine client SDK (`token-engine/client`): the six TokenEngine RPCs as typed
 * promise methods over grpc-js, with deadlines, idempotency keys, correlation ids, typed
 * errors and bounded retries where a retry is safe.
 */
export {
  createClient,
  DEFAULT_DEADLINE_MS,
  HEADERS,
  type ApiKeyClientOptions,
  type CallOptions,
  type ClientOptions,
  type IdempotentCallOptions,
  type MtlsClientOptions,
  type ResponseHeaders,
  type ServingStatus,
  type TlsOptions,
  type TokenEngineClient,
} from './client.js';
export { codeName, isTokenEngineError, Status, TokenEngineError } from './errors.js';
export { IDEMPOTENT_METHODS, RPC_NAMES, type RpcName, type WireRequest, type WireResponse } from './methods.js';
export { DEFAULT_RETRY_POLICY, isRetryable, type RetryEvent, type RetryPolicy } from './retry.js';
export type {
  Claims,
  IssueTokenRequest,
  RefreshTokenRequest,
  RevokeAudienceRequest,
  RevokeTokenRequest,
  RevokeUserAndAudienceRequest,
  RevokeUserRequest,
  TokenPair,
} from './types.js';

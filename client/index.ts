/**
 * token-engine client SDK (`token-engine/client`): the TokenEngine RPCs as typed promise
 * methods (and WatchRevocations as an async iterator) over grpc-js, with deadlines,
 * idempotency keys, correlation ids, typed errors and bounded retries where a retry is
 * safe; `createVerifier`, a local access-token verifier kept current by the revocation
 * stream; and `createDpopProver`, DPoP proofs from the client's key pair.
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
  type StreamOptions,
  type TlsOptions,
  type TokenEngineClient,
} from './client.js';
export { createDpopProver, type DpopKeyPair, type DpopProofOptions, type DpopProver } from './dpop.js';
export type {
  ApiKeyInfo,
  ApiKeyPage,
  CreateApiKeyRequest,
  CreatedApiKey,
  ExchangeApiKeyRequest,
  ExchangedToken,
  ListApiKeysRequest,
  RevokeApiKeyRequest,
} from './api-keys.js';
export { codeName, isTokenEngineError, Status, TokenEngineError } from './errors.js';
export { IDEMPOTENT_METHODS, RPC_NAMES, type RpcName, type WireRequest, type WireResponse } from './methods.js';
export { DEFAULT_RETRY_POLICY, isRetryable, type RetryEvent, type RetryPolicy } from './retry.js';
export type {
  Claims,
  DpopProof,
  InactiveReason,
  IssueTokenRequest,
  RefreshTokenRequest,
  RevocationEvent,
  RevocationScope,
  RevokeAudienceRequest,
  RevokeTokenRequest,
  RevokeUserAndAudienceRequest,
  RevokeUserRequest,
  TokenPair,
  TokenValidation,
  ValidateTokenRequest,
  WatchRevocationsRequest,
} from './types.js';
export {
  createVerifier,
  DEFAULT_STALENESS_MS,
  type TokenVerifier,
  type VerifiedToken,
  type VerifierOptions,
  type VerifierStatus,
  type VerifyReason,
  type VerifyResult,
} from './verifier.js';

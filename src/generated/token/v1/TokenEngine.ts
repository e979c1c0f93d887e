// Original file: proto/token/v1/token_engine.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateApiKeyRequest as _token_v1_CreateApiKeyRequest, CreateApiKeyRequest__Output as _token_v1_CreateApiKeyRequest__Output } from '../../token/v1/CreateApiKeyRequest.js';
import type { CreateApiKeyResponse as _token_v1_CreateApiKeyResponse, CreateApiKeyResponse__Output as _token_v1_CreateApiKeyResponse__Output } from '../../token/v1/CreateApiKeyResponse.js';
import type { ExchangeApiKeyRequest as _token_v1_ExchangeApiKeyRequest, ExchangeApiKeyRequest__Output as _token_v1_ExchangeApiKeyRequest__Output } from '../../token/v1/ExchangeApiKeyRequest.js';
import type { ExchangeApiKeyResponse as _token_v1_ExchangeApiKeyResponse, ExchangeApiKeyResponse__Output as _token_v1_ExchangeApiKeyResponse__Output } from '../../token/v1/ExchangeApiKeyResponse.js';
import type { IssueTokenRequest as _token_v1_IssueTokenRequest, IssueTokenRequest__Output as _token_v1_IssueTokenRequest__Output } from '../../token/v1/IssueTokenRequest.js';
import type { ListApiKeysRequest as _token_v1_ListApiKeysRequest, ListApiKeysRequest__Output as _token_v1_ListApiKeysRequest__Output } from '../../token/v1/ListApiKeysRequest.js';
import type { ListApiKeysResponse as _token_v1_ListApiKeysResponse, ListApiKeysResponse__Output as _token_v1_ListApiKeysResponse__Output } from '../../token/v1/ListApiKeysResponse.js';
import type { RefreshTokenRequest as _token_v1_RefreshTokenRequest, RefreshTokenRequest__Output as _token_v1_RefreshTokenRequest__Output } from '../../token/v1/RefreshTokenRequest.js';
import type { RevocationEvent as _token_v1_RevocationEvent, RevocationEvent__Output as _token_v1_RevocationEvent__Output } from '../../token/v1/RevocationEvent.js';
import type { RevokeApiKeyRequest as _token_v1_RevokeApiKeyRequest, RevokeApiKeyRequest__Output as _token_v1_RevokeApiKeyRequest__Output } from '../../token/v1/RevokeApiKeyRequest.js';
import type { RevokeAudienceRequest as _token_v1_RevokeAudienceRequest, RevokeAudienceRequest__Output as _token_v1_RevokeAudienceRequest__Output } from '../../token/v1/RevokeAudienceRequest.js';
import type { RevokeTokenRequest as _token_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _token_v1_RevokeTokenRequest__Output } from '../../token/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse as _token_v1_RevokeTokenResponse, RevokeTokenResponse__Output as _token_v1_RevokeTokenResponse__Output } from '../../token/v1/RevokeTokenResponse.js';
import type { RevokeUserAndAudienceRequest as _token_v1_RevokeUserAndAudienceRequest, RevokeUserAndAudienceRequest__Output as _token_v1_RevokeUserAndAudienceRequest__Output } from '../../token/v1/RevokeUserAndAudienceRequest.js';
import type { RevokeUserRequest as _token_v1_RevokeUserRequest, RevokeUserRequest__Output as _token_v1_RevokeUserRequest__Output } from '../../token/v1/RevokeUserRequest.js';
import type { TokenPair as _token_v1_TokenPair, TokenPair__Output as _token_v1_TokenPair__Output } from '../../token/v1/TokenPair.js';
import type { ValidateTokenRequest as _token_v1_ValidateTokenRequest, ValidateTokenRequest__Output as _token_v1_ValidateTokenRequest__Output } from '../../token/v1/ValidateTokenRequest.js';
import type { ValidateTokenResponse as _token_v1_ValidateTokenResponse, ValidateTokenResponse__Output as _token_v1_ValidateTokenResponse__Output } from '../../token/v1/ValidateTokenResponse.js';
import type { WatchRevocationsRequest as _token_v1_WatchRevocationsRequest, WatchRevocationsRequest__Output as _token_v1_WatchRevocationsRequest__Output } from '../../token/v1/WatchRevocationsRequest.js';

/**
 * TokenEngine issues, refreshes and revokes tokens for a tenant.
 */
export interface TokenEngineClient extends grpc.Client {
  /**
   * Additions: API keys exchanged for short-lived access tokens (doc/API.md).
   */
  CreateApiKey(argument: _token_v1_CreateApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  CreateApiKey(argument: _token_v1_CreateApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  CreateApiKey(argument: _token_v1_CreateApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  CreateApiKey(argument: _token_v1_CreateApiKeyRequest, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Additions: API keys exchanged for short-lived access tokens (doc/API.md).
   */
  createApiKey(argument: _token_v1_CreateApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _token_v1_CreateApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _token_v1_CreateApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _token_v1_CreateApiKeyRequest, callback: grpc.requestCallback<_token_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  
  ExchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  ExchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  ExchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  ExchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  exchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  exchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  exchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  exchangeApiKey(argument: _token_v1_ExchangeApiKeyRequest, callback: grpc.requestCallback<_token_v1_ExchangeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  
  IssueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  IssueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  IssueToken(argument: _token_v1_IssueTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  IssueToken(argument: _token_v1_IssueTokenRequest, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  
  ListApiKeys(argument: _token_v1_ListApiKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  ListApiKeys(argument: _token_v1_ListApiKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  ListApiKeys(argument: _token_v1_ListApiKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  ListApiKeys(argument: _token_v1_ListApiKeysRequest, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _token_v1_ListApiKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _token_v1_ListApiKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _token_v1_ListApiKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _token_v1_ListApiKeysRequest, callback: grpc.requestCallback<_token_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  
  RefreshToken(argument: _token_v1_RefreshTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  RefreshToken(argument: _token_v1_RefreshTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  RefreshToken(argument: _token_v1_RefreshTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  RefreshToken(argument: _token_v1_RefreshTokenRequest, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  refreshToken(argument: _token_v1_RefreshTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  refreshToken(argument: _token_v1_RefreshTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  refreshToken(argument: _token_v1_RefreshTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  refreshToken(argument: _token_v1_RefreshTokenRequest, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  
  RevokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForAudience(argument: _token_v1_RevokeAudienceRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllForUserAndAudience(argument: _token_v1_RevokeUserAndAudienceRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeAllUserTokens(argument: _token_v1_RevokeUserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllUserTokens(argument: _token_v1_RevokeUserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllUserTokens(argument: _token_v1_RevokeUserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeAllUserTokens(argument: _token_v1_RevokeUserRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllUserTokens(argument: _token_v1_RevokeUserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllUserTokens(argument: _token_v1_RevokeUserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllUserTokens(argument: _token_v1_RevokeUserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeAllUserTokens(argument: _token_v1_RevokeUserRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeApiKey(argument: _token_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeApiKey(argument: _token_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeApiKey(argument: _token_v1_RevokeApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeApiKey(argument: _token_v1_RevokeApiKeyRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _token_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _token_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _token_v1_RevokeApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _token_v1_RevokeApiKeyRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _token_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _token_v1_RevokeTokenRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Additions: revocation that reaches resource servers (doc/API.md).
   */
  ValidateToken(argument: _token_v1_ValidateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  ValidateToken(argument: _token_v1_ValidateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  ValidateToken(argument: _token_v1_ValidateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  ValidateToken(argument: _token_v1_ValidateTokenRequest, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Additions: revocation that reaches resource servers (doc/API.md).
   */
  validateToken(argument: _token_v1_ValidateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  validateToken(argument: _token_v1_ValidateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  validateToken(argument: _token_v1_ValidateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  validateToken(argument: _token_v1_ValidateTokenRequest, callback: grpc.requestCallback<_token_v1_ValidateTokenResponse__Output>): grpc.ClientUnaryCall;
  
  WatchRevocations(argument: _token_v1_WatchRevocationsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_token_v1_RevocationEvent__Output>;
  WatchRevocations(argument: _token_v1_WatchRevocationsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_token_v1_RevocationEvent__Output>;
  watchRevocations(argument: _token_v1_WatchRevocationsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_token_v1_RevocationEvent__Output>;
  watchRevocations(argument: _token_v1_WatchRevocationsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_token_v1_RevocationEvent__Output>;
  
}

/**
 * TokenEngine issues, refreshes and revokes tokens for a tenant.
 */
export interface TokenEngineHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Additions: API keys exchanged for short-lived access tokens (doc/API.md).
   */
  CreateApiKey: grpc.handleUnaryCall<_token_v1_CreateApiKeyRequest__Output, _token_v1_CreateApiKeyResponse>;
  
  ExchangeApiKey: grpc.handleUnaryCall<_token_v1_ExchangeApiKeyRequest__Output, _token_v1_ExchangeApiKeyResponse>;
  
  IssueToken: grpc.handleUnaryCall<_token_v1_IssueTokenRequest__Output, _token_v1_TokenPair>;
  
  ListApiKeys: grpc.handleUnaryCall<_token_v1_ListApiKeysRequest__Output, _token_v1_ListApiKeysResponse>;
  
  RefreshToken: grpc.handleUnaryCall<_token_v1_RefreshTokenRequest__Output, _token_v1_TokenPair>;
  
  RevokeAllForAudience: grpc.handleUnaryCall<_token_v1_RevokeAudienceRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeAllForUserAndAudience: grpc.handleUnaryCall<_token_v1_RevokeUserAndAudienceRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeAllUserTokens: grpc.handleUnaryCall<_token_v1_RevokeUserRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeApiKey: grpc.handleUnaryCall<_token_v1_RevokeApiKeyRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeToken: grpc.handleUnaryCall<_token_v1_RevokeTokenRequest__Output, _token_v1_RevokeTokenResponse>;
  
  /**
   * Additions: revocation that reaches resource servers (doc/API.md).
   */
  ValidateToken: grpc.handleUnaryCall<_token_v1_ValidateTokenRequest__Output, _token_v1_ValidateTokenResponse>;
  
  WatchRevocations: grpc.handleServerStreamingCall<_token_v1_WatchRevocationsRequest__Output, _token_v1_RevocationEvent>;
  
}

export interface TokenEngineDefinition extends grpc.ServiceDefinition {
  CreateApiKey: MethodDefinition<_token_v1_CreateApiKeyRequest, _token_v1_CreateApiKeyResponse, _token_v1_CreateApiKeyRequest__Output, _token_v1_CreateApiKeyResponse__Output>
  ExchangeApiKey: MethodDefinition<_token_v1_ExchangeApiKeyRequest, _token_v1_ExchangeApiKeyResponse, _token_v1_ExchangeApiKeyRequest__Output, _token_v1_ExchangeApiKeyResponse__Output>
  IssueToken: MethodDefinition<_token_v1_IssueTokenRequest, _token_v1_TokenPair, _token_v1_IssueTokenRequest__Output, _token_v1_TokenPair__Output>
  ListApiKeys: MethodDefinition<_token_v1_ListApiKeysRequest, _token_v1_ListApiKeysResponse, _token_v1_ListApiKeysRequest__Output, _token_v1_ListApiKeysResponse__Output>
  RefreshToken: MethodDefinition<_token_v1_RefreshTokenRequest, _token_v1_TokenPair, _token_v1_RefreshTokenRequest__Output, _token_v1_TokenPair__Output>
  RevokeAllForAudience: MethodDefinition<_token_v1_RevokeAudienceRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeAudienceRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeAllForUserAndAudience: MethodDefinition<_token_v1_RevokeUserAndAudienceRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeUserAndAudienceRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeAllUserTokens: MethodDefinition<_token_v1_RevokeUserRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeUserRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeApiKey: MethodDefinition<_token_v1_RevokeApiKeyRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeApiKeyRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeToken: MethodDefinition<_token_v1_RevokeTokenRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeTokenRequest__Output, _token_v1_RevokeTokenResponse__Output>
  ValidateToken: MethodDefinition<_token_v1_ValidateTokenRequest, _token_v1_ValidateTokenResponse, _token_v1_ValidateTokenRequest__Output, _token_v1_ValidateTokenResponse__Output>
  WatchRevocations: MethodDefinition<_token_v1_WatchRevocationsRequest, _token_v1_RevocationEvent, _token_v1_WatchRevocationsRequest__Output, _token_v1_RevocationEvent__Output>
}

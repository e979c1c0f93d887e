// Original file: proto/token/v1/token_engine.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { IssueTokenRequest as _token_v1_IssueTokenRequest, IssueTokenRequest__Output as _token_v1_IssueTokenRequest__Output } from '../../token/v1/IssueTokenRequest.js';
import type { RefreshTokenRequest as _token_v1_RefreshTokenRequest, RefreshTokenRequest__Output as _token_v1_RefreshTokenRequest__Output } from '../../token/v1/RefreshTokenRequest.js';
import type { RevokeAudienceRequest as _token_v1_RevokeAudienceRequest, RevokeAudienceRequest__Output as _token_v1_RevokeAudienceRequest__Output } from '../../token/v1/RevokeAudienceRequest.js';
import type { RevokeTokenRequest as _token_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _token_v1_RevokeTokenRequest__Output } from '../../token/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse as _token_v1_RevokeTokenResponse, RevokeTokenResponse__Output as _token_v1_RevokeTokenResponse__Output } from '../../token/v1/RevokeTokenResponse.js';
import type { RevokeUserAndAudienceRequest as _token_v1_RevokeUserAndAudienceRequest, RevokeUserAndAudienceRequest__Output as _token_v1_RevokeUserAndAudienceRequest__Output } from '../../token/v1/RevokeUserAndAudienceRequest.js';
import type { RevokeUserRequest as _token_v1_RevokeUserRequest, RevokeUserRequest__Output as _token_v1_RevokeUserRequest__Output } from '../../token/v1/RevokeUserRequest.js';
import type { TokenPair as _token_v1_TokenPair, TokenPair__Output as _token_v1_TokenPair__Output } from '../../token/v1/TokenPair.js';

/**
 * TokenEngine issues, refreshes and revokes tokens for a tenant.
 */
export interface TokenEngineClient extends grpc.Client {
  IssueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  IssueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  IssueToken(argument: _token_v1_IssueTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  IssueToken(argument: _token_v1_IssueTokenRequest, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  issueToken(argument: _token_v1_IssueTokenRequest, callback: grpc.requestCallback<_token_v1_TokenPair__Output>): grpc.ClientUnaryCall;
  
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
  
  RevokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _token_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _token_v1_RevokeTokenRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _token_v1_RevokeTokenRequest, callback: grpc.requestCallback<_token_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * TokenEngine issues, refreshes and revokes tokens for a tenant.
 */
export interface TokenEngineHandlers extends grpc.UntypedServiceImplementation {
  IssueToken: grpc.handleUnaryCall<_token_v1_IssueTokenRequest__Output, _token_v1_TokenPair>;
  
  RefreshToken: grpc.handleUnaryCall<_token_v1_RefreshTokenRequest__Output, _token_v1_TokenPair>;
  
  RevokeAllForAudience: grpc.handleUnaryCall<_token_v1_RevokeAudienceRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeAllForUserAndAudience: grpc.handleUnaryCall<_token_v1_RevokeUserAndAudienceRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeAllUserTokens: grpc.handleUnaryCall<_token_v1_RevokeUserRequest__Output, _token_v1_RevokeTokenResponse>;
  
  RevokeToken: grpc.handleUnaryCall<_token_v1_RevokeTokenRequest__Output, _token_v1_RevokeTokenResponse>;
  
}

export interface TokenEngineDefinition extends grpc.ServiceDefinition {
  IssueToken: MethodDefinition<_token_v1_IssueTokenRequest, _token_v1_TokenPair, _token_v1_IssueTokenRequest__Output, _token_v1_TokenPair__Output>
  RefreshToken: MethodDefinition<_token_v1_RefreshTokenRequest, _token_v1_TokenPair, _token_v1_RefreshTokenRequest__Output, _token_v1_TokenPair__Output>
  RevokeAllForAudience: MethodDefinition<_token_v1_RevokeAudienceRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeAudienceRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeAllForUserAndAudience: MethodDefinition<_token_v1_RevokeUserAndAudienceRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeUserAndAudienceRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeAllUserTokens: MethodDefinition<_token_v1_RevokeUserRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeUserRequest__Output, _token_v1_RevokeTokenResponse__Output>
  RevokeToken: MethodDefinition<_token_v1_RevokeTokenRequest, _token_v1_RevokeTokenResponse, _token_v1_RevokeTokenRequest__Output, _token_v1_RevokeTokenResponse__Output>
}

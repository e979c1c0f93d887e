import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ApiKeyInfo as _token_v1_ApiKeyInfo, ApiKeyInfo__Output as _token_v1_ApiKeyInfo__Output } from './token/v1/ApiKeyInfo.js';
import type { CreateApiKeyRequest as _token_v1_CreateApiKeyRequest, CreateApiKeyRequest__Output as _token_v1_CreateApiKeyRequest__Output } from './token/v1/CreateApiKeyRequest.js';
import type { CreateApiKeyResponse as _token_v1_CreateApiKeyResponse, CreateApiKeyResponse__Output as _token_v1_CreateApiKeyResponse__Output } from './token/v1/CreateApiKeyResponse.js';
import type { DpopProof as _token_v1_DpopProof, DpopProof__Output as _token_v1_DpopProof__Output } from './token/v1/DpopProof.js';
import type { ExchangeApiKeyRequest as _token_v1_ExchangeApiKeyRequest, ExchangeApiKeyRequest__Output as _token_v1_ExchangeApiKeyRequest__Output } from './token/v1/ExchangeApiKeyRequest.js';
import type { ExchangeApiKeyResponse as _token_v1_ExchangeApiKeyResponse, ExchangeApiKeyResponse__Output as _token_v1_ExchangeApiKeyResponse__Output } from './token/v1/ExchangeApiKeyResponse.js';
import type { IssueTokenRequest as _token_v1_IssueTokenRequest, IssueTokenRequest__Output as _token_v1_IssueTokenRequest__Output } from './token/v1/IssueTokenRequest.js';
import type { ListApiKeysRequest as _token_v1_ListApiKeysRequest, ListApiKeysRequest__Output as _token_v1_ListApiKeysRequest__Output } from './token/v1/ListApiKeysRequest.js';
import type { ListApiKeysResponse as _token_v1_ListApiKeysResponse, ListApiKeysResponse__Output as _token_v1_ListApiKeysResponse__Output } from './token/v1/ListApiKeysResponse.js';
import type { RefreshTokenRequest as _token_v1_RefreshTokenRequest, RefreshTokenRequest__Output as _token_v1_RefreshTokenRequest__Output } from './token/v1/RefreshTokenRequest.js';
import type { RevocationEvent as _token_v1_RevocationEvent, RevocationEvent__Output as _token_v1_RevocationEvent__Output } from './token/v1/RevocationEvent.js';
import type { RevokeApiKeyRequest as _token_v1_RevokeApiKeyRequest, RevokeApiKeyRequest__Output as _token_v1_RevokeApiKeyRequest__Output } from './token/v1/RevokeApiKeyRequest.js';
import type { RevokeAudienceRequest as _token_v1_RevokeAudienceRequest, RevokeAudienceRequest__Output as _token_v1_RevokeAudienceRequest__Output } from './token/v1/RevokeAudienceRequest.js';
import type { RevokeTokenRequest as _token_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _token_v1_RevokeTokenRequest__Output } from './token/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse as _token_v1_RevokeTokenResponse, RevokeTokenResponse__Output as _token_v1_RevokeTokenResponse__Output } from './token/v1/RevokeTokenResponse.js';
import type { RevokeUserAndAudienceRequest as _token_v1_RevokeUserAndAudienceRequest, RevokeUserAndAudienceRequest__Output as _token_v1_RevokeUserAndAudienceRequest__Output } from './token/v1/RevokeUserAndAudienceRequest.js';
import type { RevokeUserRequest as _token_v1_RevokeUserRequest, RevokeUserRequest__Output as _token_v1_RevokeUserRequest__Output } from './token/v1/RevokeUserRequest.js';
import type { TokenEngineClient as _token_v1_TokenEngineClient, TokenEngineDefinition as _token_v1_TokenEngineDefinition } from './token/v1/TokenEngine.js';
import type { TokenPair as _token_v1_TokenPair, TokenPair__Output as _token_v1_TokenPair__Output } from './token/v1/TokenPair.js';
import type { ValidateTokenRequest as _token_v1_ValidateTokenRequest, ValidateTokenRequest__Output as _token_v1_ValidateTokenRequest__Output } from './token/v1/ValidateTokenRequest.js';
import type { ValidateTokenResponse as _token_v1_ValidateTokenResponse, ValidateTokenResponse__Output as _token_v1_ValidateTokenResponse__Output } from './token/v1/ValidateTokenResponse.js';
import type { WatchRevocationsRequest as _token_v1_WatchRevocationsRequest, WatchRevocationsRequest__Output as _token_v1_WatchRevocationsRequest__Output } from './token/v1/WatchRevocationsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  token: {
    v1: {
      ApiKeyInfo: MessageTypeDefinition<_token_v1_ApiKeyInfo, _token_v1_ApiKeyInfo__Output>
      CreateApiKeyRequest: MessageTypeDefinition<_token_v1_CreateApiKeyRequest, _token_v1_CreateApiKeyRequest__Output>
      CreateApiKeyResponse: MessageTypeDefinition<_token_v1_CreateApiKeyResponse, _token_v1_CreateApiKeyResponse__Output>
      DpopProof: MessageTypeDefinition<_token_v1_DpopProof, _token_v1_DpopProof__Output>
      ExchangeApiKeyRequest: MessageTypeDefinition<_token_v1_ExchangeApiKeyRequest, _token_v1_ExchangeApiKeyRequest__Output>
      ExchangeApiKeyResponse: MessageTypeDefinition<_token_v1_ExchangeApiKeyResponse, _token_v1_ExchangeApiKeyResponse__Output>
      IssueTokenRequest: MessageTypeDefinition<_token_v1_IssueTokenRequest, _token_v1_IssueTokenRequest__Output>
      ListApiKeysRequest: MessageTypeDefinition<_token_v1_ListApiKeysRequest, _token_v1_ListApiKeysRequest__Output>
      ListApiKeysResponse: MessageTypeDefinition<_token_v1_ListApiKeysResponse, _token_v1_ListApiKeysResponse__Output>
      RefreshTokenRequest: MessageTypeDefinition<_token_v1_RefreshTokenRequest, _token_v1_RefreshTokenRequest__Output>
      RevocationEvent: MessageTypeDefinition<_token_v1_RevocationEvent, _token_v1_RevocationEvent__Output>
      RevokeApiKeyRequest: MessageTypeDefinition<_token_v1_RevokeApiKeyRequest, _token_v1_RevokeApiKeyRequest__Output>
      RevokeAudienceRequest: MessageTypeDefinition<_token_v1_RevokeAudienceRequest, _token_v1_RevokeAudienceRequest__Output>
      RevokeTokenRequest: MessageTypeDefinition<_token_v1_RevokeTokenRequest, _token_v1_RevokeTokenRequest__Output>
      RevokeTokenResponse: MessageTypeDefinition<_token_v1_RevokeTokenResponse, _token_v1_RevokeTokenResponse__Output>
      RevokeUserAndAudienceRequest: MessageTypeDefinition<_token_v1_RevokeUserAndAudienceRequest, _token_v1_RevokeUserAndAudienceRequest__Output>
      RevokeUserRequest: MessageTypeDefinition<_token_v1_RevokeUserRequest, _token_v1_RevokeUserRequest__Output>
      /**
       * TokenEngine issues, refreshes and revokes tokens for a tenant.
       */
      TokenEngine: SubtypeConstructor<typeof grpc.Client, _token_v1_TokenEngineClient> & { service: _token_v1_TokenEngineDefinition }
      TokenPair: MessageTypeDefinition<_token_v1_TokenPair, _token_v1_TokenPair__Output>
      ValidateTokenRequest: MessageTypeDefinition<_token_v1_ValidateTokenRequest, _token_v1_ValidateTokenRequest__Output>
      ValidateTokenResponse: MessageTypeDefinition<_token_v1_ValidateTokenResponse, _token_v1_ValidateTokenResponse__Output>
      WatchRevocationsRequest: MessageTypeDefinition<_token_v1_WatchRevocationsRequest, _token_v1_WatchRevocationsRequest__Output>
    }
  }
}


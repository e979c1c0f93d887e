import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { IssueTokenRequest as _token_v1_IssueTokenRequest, IssueTokenRequest__Output as _token_v1_IssueTokenRequest__Output } from './token/v1/IssueTokenRequest.js';
import type { RefreshTokenRequest as _token_v1_RefreshTokenRequest, RefreshTokenRequest__Output as _token_v1_RefreshTokenRequest__Output } from './token/v1/RefreshTokenRequest.js';
import type { RevokeAudienceRequest as _token_v1_RevokeAudienceRequest, RevokeAudienceRequest__Output as _token_v1_RevokeAudienceRequest__Output } from './token/v1/RevokeAudienceRequest.js';
import type { RevokeTokenRequest as _token_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _token_v1_RevokeTokenRequest__Output } from './token/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse as _token_v1_RevokeTokenResponse, RevokeTokenResponse__Output as _token_v1_RevokeTokenResponse__Output } from './token/v1/RevokeTokenResponse.js';
import type { RevokeUserAndAudienceRequest as _token_v1_RevokeUserAndAudienceRequest, RevokeUserAndAudienceRequest__Output as _token_v1_RevokeUserAndAudienceRequest__Output } from './token/v1/RevokeUserAndAudienceRequest.js';
import type { RevokeUserRequest as _token_v1_RevokeUserRequest, RevokeUserRequest__Output as _token_v1_RevokeUserRequest__Output } from './token/v1/RevokeUserRequest.js';
import type { TokenEngineClient as _token_v1_TokenEngineClient, TokenEngineDefinition as _token_v1_TokenEngineDefinition } from './token/v1/TokenEngine.js';
import type { TokenPair as _token_v1_TokenPair, TokenPair__Output as _token_v1_TokenPair__Output } from './token/v1/TokenPair.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  token: {
    v1: {
      IssueTokenRequest: MessageTypeDefinition<_token_v1_IssueTokenRequest, _token_v1_IssueTokenRequest__Output>
      RefreshTokenRequest: MessageTypeDefinition<_token_v1_RefreshTokenRequest, _token_v1_RefreshTokenRequest__Output>
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
    }
  }
}


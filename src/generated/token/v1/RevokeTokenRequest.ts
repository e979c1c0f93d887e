// Original file: proto/token/v1/token_engine.proto


export interface RevokeTokenRequest {
  'refresh_token'?: (string);
  'tenant_id'?: (string);
}

export interface RevokeTokenRequest__Output {
  'refresh_token': (string);
  'tenant_id': (string);
}

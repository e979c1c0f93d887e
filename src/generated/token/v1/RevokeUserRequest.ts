// Original file: proto/token/v1/token_engine.proto


export interface RevokeUserRequest {
  'user_id'?: (string);
  'tenant_id'?: (string);
}

export interface RevokeUserRequest__Output {
  'user_id': (string);
  'tenant_id': (string);
}

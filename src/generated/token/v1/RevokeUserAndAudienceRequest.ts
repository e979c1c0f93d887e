// Original file: proto/token/v1/token_engine.proto


export interface RevokeUserAndAudienceRequest {
  'user_id'?: (string);
  'audience'?: (string);
  'tenant_id'?: (string);
}

export interface RevokeUserAndAudienceRequest__Output {
  'user_id': (string);
  'audience': (string);
  'tenant_id': (string);
}

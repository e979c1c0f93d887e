// Original file: proto/token/v1/token_engine.proto


export interface RevokeAudienceRequest {
  'audience'?: (string);
  'tenant_id'?: (string);
}

export interface RevokeAudienceRequest__Output {
  'audience': (string);
  'tenant_id': (string);
}

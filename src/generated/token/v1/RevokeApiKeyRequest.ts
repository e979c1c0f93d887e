// Original file: proto/token/v1/token_engine.proto


export interface RevokeApiKeyRequest {
  'tenant_id'?: (string);
  'key_id'?: (string);
}

export interface RevokeApiKeyRequest__Output {
  'tenant_id': (string);
  'key_id': (string);
}

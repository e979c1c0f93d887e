// Original file: proto/token/v1/token_engine.proto


export interface ListApiKeysRequest {
  'tenant_id'?: (string);
  'owner'?: (string);
  /**
   * default 50, at most 500
   */
  'page_size'?: (number);
  'page_token'?: (string);
}

export interface ListApiKeysRequest__Output {
  'tenant_id': (string);
  'owner': (string);
  /**
   * default 50, at most 500
   */
  'page_size': (number);
  'page_token': (string);
}

// Original file: proto/token/v1/token_engine.proto

import type { ApiKeyInfo as _token_v1_ApiKeyInfo, ApiKeyInfo__Output as _token_v1_ApiKeyInfo__Output } from '../../token/v1/ApiKeyInfo.js';

export interface ListApiKeysResponse {
  'keys'?: (_token_v1_ApiKeyInfo)[];
  'next_page_token'?: (string);
}

export interface ListApiKeysResponse__Output {
  'keys': (_token_v1_ApiKeyInfo__Output)[];
  'next_page_token': (string);
}

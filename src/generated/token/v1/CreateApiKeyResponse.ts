// Original file: proto/token/v1/token_engine.proto

import type { ApiKeyInfo as _token_v1_ApiKeyInfo, ApiKeyInfo__Output as _token_v1_ApiKeyInfo__Output } from '../../token/v1/ApiKeyInfo.js';

export interface CreateApiKeyResponse {
  /**
   * the secret: returned here once, never again
   */
  'api_key'?: (string);
  'info'?: (_token_v1_ApiKeyInfo | null);
}

export interface CreateApiKeyResponse__Output {
  /**
   * the secret: returned here once, never again
   */
  'api_key': (string);
  'info': (_token_v1_ApiKeyInfo__Output | null);
}

// Original file: proto/token/v1/token_engine.proto

import type { Long } from '@grpc/proto-loader';

export interface ExchangeApiKeyResponse {
  'access_token'?: (string);
  'expires_in'?: (number | string | Long);
}

export interface ExchangeApiKeyResponse__Output {
  'access_token': (string);
  'expires_in': (number);
}

// Original file: proto/token/v1/token_engine.proto

import type { Long } from '@grpc/proto-loader';

export interface TokenPair {
  'access_token'?: (string);
  'refresh_token'?: (string);
  'access_token_expires_in'?: (number | string | Long);
  'refresh_token_expires_in'?: (number | string | Long);
}

export interface TokenPair__Output {
  'access_token': (string);
  'refresh_token': (string);
  'access_token_expires_in': (number);
  'refresh_token_expires_in': (number);
}

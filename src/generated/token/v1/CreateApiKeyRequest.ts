// Original file: proto/token/v1/token_engine.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateApiKeyRequest {
  'tenant_id'?: (string);
  'owner'?: (string);
  'name'?: (string);
  'claims'?: ({[key: string]: string});
  'audiences'?: (string)[];
  /**
   * seconds; 0 = never expires
   */
  'expires_in'?: (number | string | Long);
}

export interface CreateApiKeyRequest__Output {
  'tenant_id': (string);
  'owner': (string);
  'name': (string);
  'claims': ({[key: string]: string});
  'audiences': (string)[];
  /**
   * seconds; 0 = never expires
   */
  'expires_in': (number);
}

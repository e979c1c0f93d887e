// Original file: proto/token/v1/token_engine.proto

import type { Long } from '@grpc/proto-loader';

export interface ApiKeyInfo {
  'key_id'?: (string);
  /**
   * the sub of the tokens it mints
   */
  'owner'?: (string);
  'name'?: (string);
  /**
   * copied into every token it mints
   */
  'claims'?: ({[key: string]: string});
  'audiences'?: (string)[];
  /**
   * seconds since the epoch
   */
  'created_at'?: (number | string | Long);
  /**
   * 0 = never
   */
  'expires_at'?: (number | string | Long);
  /**
   * 0 = never used
   */
  'last_used_at'?: (number | string | Long);
  'revoked'?: (boolean);
}

export interface ApiKeyInfo__Output {
  'key_id': (string);
  /**
   * the sub of the tokens it mints
   */
  'owner': (string);
  'name': (string);
  /**
   * copied into every token it mints
   */
  'claims': ({[key: string]: string});
  'audiences': (string)[];
  /**
   * seconds since the epoch
   */
  'created_at': (number);
  /**
   * 0 = never
   */
  'expires_at': (number);
  /**
   * 0 = never used
   */
  'last_used_at': (number);
  'revoked': (boolean);
}

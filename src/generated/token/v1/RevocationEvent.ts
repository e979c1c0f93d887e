// Original file: proto/token/v1/token_engine.proto

import type { Long } from '@grpc/proto-loader';

export interface RevocationEvent {
  'cursor'?: (string);
  /**
   * One of: family, user, audience, user_audience, api_key, heartbeat.
   */
  'scope'?: (string);
  'user_id'?: (string);
  'audience'?: (string);
  /**
   * scope family: the sid claim of the family's access tokens
   */
  'family_id'?: (string);
  /**
   * scope api_key
   */
  'api_key_id'?: (string);
  /**
   * Tokens whose "rsq" claim is <= watermark are revoked (scopes user, audience,
   * user_audience); family and api_key revoke every token of that family or key.
   */
  'watermark'?: (number | string | Long);
  'revoked_at_ms'?: (number | string | Long);
}

export interface RevocationEvent__Output {
  'cursor': (string);
  /**
   * One of: family, user, audience, user_audience, api_key, heartbeat.
   */
  'scope': (string);
  'user_id': (string);
  'audience': (string);
  /**
   * scope family: the sid claim of the family's access tokens
   */
  'family_id': (string);
  /**
   * scope api_key
   */
  'api_key_id': (string);
  /**
   * Tokens whose "rsq" claim is <= watermark are revoked (scopes user, audience,
   * user_audience); family and api_key revoke every token of that family or key.
   */
  'watermark': (number);
  'revoked_at_ms': (number);
}

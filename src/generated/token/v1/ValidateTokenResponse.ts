// Original file: proto/token/v1/token_engine.proto

import type { Long } from '@grpc/proto-loader';

export interface ValidateTokenResponse {
  'active'?: (boolean);
  /**
   * Empty when active; otherwise one of: malformed, bad_signature, unknown_key, expired,
   * not_yet_valid, wrong_issuer, wrong_audience, revoked, dpop_required, dpop_invalid.
   */
  'reason'?: (string);
  'sub'?: (string);
  'audiences'?: (string)[];
  /**
   * seconds since the epoch
   */
  'issued_at'?: (number | string | Long);
  /**
   * seconds since the epoch
   */
  'expires_at'?: (number | string | Long);
  'jti'?: (string);
  /**
   * the custom claims
   */
  'claims'?: ({[key: string]: string});
  /**
   * cnf.jkt of a sender-constrained token
   */
  'dpop_jkt'?: (string);
  /**
   * set for a token minted by ExchangeApiKey
   */
  'api_key_id'?: (string);
}

export interface ValidateTokenResponse__Output {
  'active': (boolean);
  /**
   * Empty when active; otherwise one of: malformed, bad_signature, unknown_key, expired,
   * not_yet_valid, wrong_issuer, wrong_audience, revoked, dpop_required, dpop_invalid.
   */
  'reason': (string);
  'sub': (string);
  'audiences': (string)[];
  /**
   * seconds since the epoch
   */
  'issued_at': (number);
  /**
   * seconds since the epoch
   */
  'expires_at': (number);
  'jti': (string);
  /**
   * the custom claims
   */
  'claims': ({[key: string]: string});
  /**
   * cnf.jkt of a sender-constrained token
   */
  'dpop_jkt': (string);
  /**
   * set for a token minted by ExchangeApiKey
   */
  'api_key_id': (string);
}

// Original file: proto/token/v1/token_engine.proto

import type { DpopProof as _token_v1_DpopProof, DpopProof__Output as _token_v1_DpopProof__Output } from '../../token/v1/DpopProof.js';

export interface RefreshTokenRequest {
  'refresh_token'?: (string);
  'tenant_id'?: (string);
  /**
   * Prefer the x-idempotency-key metadata header; the field is still honoured.
   * @deprecated
   */
  'idempotency_key'?: (string);
  'claims'?: ({[key: string]: string});
  /**
   * Addition: required when the family is DPoP-bound.
   */
  'dpop'?: (_token_v1_DpopProof | null);
}

export interface RefreshTokenRequest__Output {
  'refresh_token': (string);
  'tenant_id': (string);
  /**
   * Prefer the x-idempotency-key metadata header; the field is still honoured.
   * @deprecated
   */
  'idempotency_key': (string);
  'claims': ({[key: string]: string});
  /**
   * Addition: required when the family is DPoP-bound.
   */
  'dpop': (_token_v1_DpopProof__Output | null);
}

// Original file: proto/token/v1/token_engine.proto

import type { DpopProof as _token_v1_DpopProof, DpopProof__Output as _token_v1_DpopProof__Output } from '../../token/v1/DpopProof.js';

export interface ValidateTokenRequest {
  'access_token'?: (string);
  'tenant_id'?: (string);
  /**
   * optional: the token must carry this audience
   */
  'audience'?: (string);
  /**
   * required when the token is DPoP-bound (cnf.jkt)
   */
  'dpop'?: (_token_v1_DpopProof | null);
}

export interface ValidateTokenRequest__Output {
  'access_token': (string);
  'tenant_id': (string);
  /**
   * optional: the token must carry this audience
   */
  'audience': (string);
  /**
   * required when the token is DPoP-bound (cnf.jkt)
   */
  'dpop': (_token_v1_DpopProof__Output | null);
}

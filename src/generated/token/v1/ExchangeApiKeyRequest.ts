// Original file: proto/token/v1/token_engine.proto

import type { DpopProof as _token_v1_DpopProof, DpopProof__Output as _token_v1_DpopProof__Output } from '../../token/v1/DpopProof.js';

export interface ExchangeApiKeyRequest {
  'tenant_id'?: (string);
  'api_key'?: (string);
  /**
   * optional: bind the minted token to the client's key
   */
  'dpop'?: (_token_v1_DpopProof | null);
}

export interface ExchangeApiKeyRequest__Output {
  'tenant_id': (string);
  'api_key': (string);
  /**
   * optional: bind the minted token to the client's key
   */
  'dpop': (_token_v1_DpopProof__Output | null);
}

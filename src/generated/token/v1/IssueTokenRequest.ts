// Original file: proto/token/v1/token_engine.proto

import type { DpopProof as _token_v1_DpopProof, DpopProof__Output as _token_v1_DpopProof__Output } from '../../token/v1/DpopProof.js';

export interface IssueTokenRequest {
  'sub'?: (string);
  'tenant_id'?: (string);
  /**
   * Prefer the x-idempotency-key metadata header; the field is still honoured.
   * @deprecated
   */
  'idempotency_key'?: (string);
  'claims'?: ({[key: string]: string});
  'audiences'?: (string)[];
  /**
   * Addition: bind the pair to the client's DPoP key (RFC 9449).
   */
  'dpop'?: (_token_v1_DpopProof | null);
}

export interface IssueTokenRequest__Output {
  'sub': (string);
  'tenant_id': (string);
  /**
   * Prefer the x-idempotency-key metadata header; the field is still honoured.
   * @deprecated
   */
  'idempotency_key': (string);
  'claims': ({[key: string]: string});
  'audiences': (string)[];
  /**
   * Addition: bind the pair to the client's DPoP key (RFC 9449).
   */
  'dpop': (_token_v1_DpopProof__Output | null);
}

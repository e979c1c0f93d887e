// Original file: proto/token/v1/token_engine.proto


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
}

// Original file: proto/token/v1/token_engine.proto


export interface RefreshTokenRequest {
  'refresh_token'?: (string);
  'tenant_id'?: (string);
  /**
   * Prefer the x-idempotency-key metadata header; the field is still honoured.
   * @deprecated
   */
  'idempotency_key'?: (string);
  'claims'?: ({[key: string]: string});
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
}

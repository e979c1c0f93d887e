// Original file: proto/token/v1/token_engine.proto


export interface WatchRevocationsRequest {
  'tenant_id'?: (string);
  /**
   * Resume after this cursor (from a previous event). Empty: start with the events of
   * the last access-token lifetime, so a new subscriber learns every revocation that
   * can still matter.
   */
  'after'?: (string);
}

export interface WatchRevocationsRequest__Output {
  'tenant_id': (string);
  /**
   * Resume after this cursor (from a previous event). Empty: start with the events of
   * the last access-token lifetime, so a new subscriber learns every revocation that
   * can still matter.
   */
  'after': (string);
}

/**
 * Domain errors: a closed set of codes, each mapped to one gRPC status by the one table
 * in `grpc/status.ts`. Every refusal anywhere (chain steps and use cases alike) is a
 * DomainError. Its message is written for the caller and must never contain a token, a
 * key or any other secret.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'caller_not_authorized'
  | 'rate_limited'
  | 'tenant_not_found'
  | 'refresh_token_not_found'
  | 'refresh_token_revoked'
  | 'refresh_token_reused'
  | 'idempotency_in_progress'
  | 'idempotency_mismatch'
  | 'service_unknown'
  | 'too_many_streams'
  | 'call_cancelled'
  | 'shutting_down'
  | 'store_unavailable'
  | 'keys_unavailable'
  | 'signer_unavailable'
  | 'cursor_unknown'
  | 'stream_overflow'
  | 'dpop_proof_invalid'
  | 'dpop_proof_required'
  | 'dpop_key_mismatch'
  | 'api_key_invalid'
  | 'api_key_limit'
  | 'api_keys_disabled';

/** An error caused by the caller or by a dependency, safe to show to the caller. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** INVALID_ARGUMENT; the message names the offending field (`sub must not be empty`). */
export function invalidArgument(message: string): DomainError {
  return new DomainError('invalid_argument', message);
}

/** The store (Redis) could not be reached; retryable. The cause is kept for the log only. */
export function storeUnavailable(cause: unknown): DomainError {
  return new DomainError('store_unavailable', 'token store unavailable; retry', { cause });
}

/** The signing keys' holder (the PKCS#11 token) cannot sign now; retryable. The cause is kept for the log only. */
export function signerUnavailable(cause?: unknown): DomainError {
  return new DomainError('signer_unavailable', 'signing key store unavailable; retry', { cause });
}

/** True for a DomainError with the given code. */
export function isDomainError(err: unknown, code?: ErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}

/**
 * Domain errors: a closed set of codes, each mapped to one gRPC status in
 * `grpc/status.ts`. The message of a DomainError is written for the caller and must
 * never contain a token, a key or any other secret.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'tenant_not_found'
  | 'refresh_token_not_found'
  | 'refresh_token_revoked'
  | 'refresh_token_reused'
  | 'idempotency_in_progress'
  | 'idempotency_mismatch'
  | 'store_unavailable'
  | 'audit_unavailable'
  | 'keys_unavailable';

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

/** INVALID_ARGUMENT naming the offending field. */
export function invalidArgument(field: string, problem: string): DomainError {
  return new DomainError('invalid_argument', `${field} ${problem}`);
}

/** The store (Redis) could not be reached; retryable. The cause is kept for the log only. */
export function storeUnavailable(cause: unknown): DomainError {
  return new DomainError('store_unavailable', 'token store unavailable; retry', { cause });
}

/** True for a DomainError with the given code. */
export function isDomainError(err: unknown, code?: ErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}

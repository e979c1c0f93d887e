import { Metadata, status as Status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { DomainError, type ErrorCode } from '../errors.js';

/** The one table from domain error codes to gRPC status codes (spec §3). */
export const STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, Status>> = {
  invalid_argument: Status.INVALID_ARGUMENT,
  unauthenticated: Status.UNAUTHENTICATED,
  permission_denied: Status.PERMISSION_DENIED,
  tenant_not_found: Status.NOT_FOUND,
  refresh_token_not_found: Status.NOT_FOUND,
  refresh_token_revoked: Status.PERMISSION_DENIED,
  refresh_token_reused: Status.PERMISSION_DENIED,
  idempotency_in_progress: Status.ABORTED,
  idempotency_mismatch: Status.FAILED_PRECONDITION,
  store_unavailable: Status.UNAVAILABLE,
  audit_unavailable: Status.UNAVAILABLE,
  keys_unavailable: Status.UNAVAILABLE,
};

/** The message callers see for anything unexpected: no detail leaks. */
export const INTERNAL_MESSAGE = 'internal error';

/** Converts any error to the status the caller sees; unexpected errors become INTERNAL. */
export function toStatus(err: unknown): { code: Status; details: string; expected: boolean } {
  if (err instanceof DomainError) return { code: STATUS_BY_ERROR_CODE[err.code], details: err.message, expected: true };
  return { code: Status.INTERNAL, details: INTERNAL_MESSAGE, expected: false };
}

/** A grpc-js ServiceError for the handler callback. */
export function toServiceError(err: unknown): Partial<StatusObject> & ServiceError {
  const { code, details } = toStatus(err);
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

/** Go-style code names, as in the upstream metric label `status` (`OK`, `PermissionDenied`). */
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

export function statusName(code: number): string {
  return CODE_NAMES[code] ?? `Code(${code})`;
}

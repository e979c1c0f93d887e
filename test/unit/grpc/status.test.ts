import { describe, it, expect } from 'vitest';
import { status as Status } from '@grpc/grpc-js';
import { DomainError, type ErrorCode } from '../../../src/errors.js';
import { INTERNAL_MESSAGE, STATUS_BY_ERROR_CODE, statusName, toServiceError, toStatus } from '../../../src/grpc/status.js';

/** The status contract of doc/API.md, written out so that a change to the mapping fails here. */
const SPEC_TABLE: Record<ErrorCode, Status> = {
  invalid_argument: Status.INVALID_ARGUMENT,
  unauthenticated: Status.UNAUTHENTICATED,
  caller_not_authorized: Status.PERMISSION_DENIED,
  rate_limited: Status.RESOURCE_EXHAUSTED,
  tenant_not_found: Status.NOT_FOUND,
  refresh_token_not_found: Status.NOT_FOUND,
  refresh_token_revoked: Status.PERMISSION_DENIED,
  refresh_token_reused: Status.PERMISSION_DENIED,
  idempotency_in_progress: Status.ABORTED,
  idempotency_mismatch: Status.FAILED_PRECONDITION,
  service_unknown: Status.NOT_FOUND,
  too_many_streams: Status.RESOURCE_EXHAUSTED,
  call_cancelled: Status.CANCELLED,
  shutting_down: Status.UNAVAILABLE,
  store_unavailable: Status.UNAVAILABLE,
  keys_unavailable: Status.UNAVAILABLE,
  signer_unavailable: Status.UNAVAILABLE,
  cursor_unknown: Status.FAILED_PRECONDITION,
  stream_overflow: Status.RESOURCE_EXHAUSTED,
  dpop_proof_invalid: Status.INVALID_ARGUMENT,
  dpop_proof_required: Status.INVALID_ARGUMENT,
  dpop_key_mismatch: Status.PERMISSION_DENIED,
  api_key_invalid: Status.UNAUTHENTICATED,
  api_key_limit: Status.RESOURCE_EXHAUSTED,
  api_keys_disabled: Status.FAILED_PRECONDITION,
};

describe('STATUS_BY_ERROR_CODE', () => {
  it('is exactly the documented status table', () => {
    expect(STATUS_BY_ERROR_CODE).toEqual(SPEC_TABLE);
  });

  it('never maps a domain error to INTERNAL, UNKNOWN or OK', () => {
    // CANCELLED is recorded for calls the client gave up on; it never reaches a client.
    for (const code of Object.values(STATUS_BY_ERROR_CODE)) {
      expect([Status.INTERNAL, Status.UNKNOWN, Status.OK]).not.toContain(code);
    }
  });
});

describe('toStatus', () => {
  it.each(Object.entries(SPEC_TABLE) as [ErrorCode, Status][])('maps %s to status %i with its message', (code, expected) => {
    const result = toStatus(new DomainError(code, `message for ${code}`));
    expect(result).toEqual({ code: expected, details: `message for ${code}`, expected: true });
  });

  it('keeps the tenant message of tenant_not_found', () => {
    expect(toStatus(new DomainError('tenant_not_found', 'tenant acme not found'))).toMatchObject({
      code: Status.NOT_FOUND,
      details: 'tenant acme not found',
    });
  });

  it('turns a plain Error into INTERNAL without leaking its text', () => {
    const result = toStatus(new Error('redis password is hunter2'));
    expect(result).toEqual({ code: Status.INTERNAL, details: 'internal error', expected: false });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(INTERNAL_MESSAGE).toBe('internal error');
  });

  it.each([
    ['a string', 'secret hunter2'],
    ['undefined', undefined],
    ['null', null],
    ['an object with a code', { code: 'invalid_argument', message: 'hunter2' }],
    ['a TypeError', new TypeError('cannot read hunter2')],
  ])('turns %s into INTERNAL', (_name, thrown) => {
    const result = toStatus(thrown);
    expect(result.code).toBe(Status.INTERNAL);
    expect(result.details).toBe('internal error');
    expect(result.expected).toBe(false);
  });
});

describe('toServiceError', () => {
  it('carries the code and details of a domain error', () => {
    const err = toServiceError(new DomainError('refresh_token_reused', 'refresh token was already used'));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(Status.PERMISSION_DENIED);
    expect(err.details).toBe('refresh token was already used');
    expect(err.message).toBe('refresh token was already used');
    expect(err.metadata).toBeDefined();
  });

  it('hides the text of an unexpected error', () => {
    const err = toServiceError(new Error('redis password is hunter2'));
    expect(err.code).toBe(Status.INTERNAL);
    expect(err.details).toBe('internal error');
    expect(err.message).toBe('internal error');
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain('hunter2');
  });
});

describe('statusName', () => {
  it.each([
    [Status.OK, 'OK'],
    [Status.CANCELLED, 'Canceled'],
    [Status.UNKNOWN, 'Unknown'],
    [Status.INVALID_ARGUMENT, 'InvalidArgument'],
    [Status.DEADLINE_EXCEEDED, 'DeadlineExceeded'],
    [Status.NOT_FOUND, 'NotFound'],
    [Status.ALREADY_EXISTS, 'AlreadyExists'],
    [Status.PERMISSION_DENIED, 'PermissionDenied'],
    [Status.RESOURCE_EXHAUSTED, 'ResourceExhausted'],
    [Status.FAILED_PRECONDITION, 'FailedPrecondition'],
    [Status.ABORTED, 'Aborted'],
    [Status.OUT_OF_RANGE, 'OutOfRange'],
    [Status.UNIMPLEMENTED, 'Unimplemented'],
    [Status.INTERNAL, 'Internal'],
    [Status.UNAVAILABLE, 'Unavailable'],
    [Status.DATA_LOSS, 'DataLoss'],
    [Status.UNAUTHENTICATED, 'Unauthenticated'],
  ])('names code %i %s', (code, name) => {
    expect(statusName(code)).toBe(name);
  });

  it('names unknown codes by number', () => {
    expect(statusName(17)).toBe('Code(17)');
    expect(statusName(-1)).toBe('Code(-1)');
  });
});

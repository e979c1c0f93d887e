import { Metadata, status as Status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { DomainError, type ErrorCode } from '../errors.js';

/**
 * The one table from domain error codes to gRPC status codes, with when each happens:
 * the status contract clients code against (rendered into doc/API.md by `make docs`).
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, { readonly status: Status; readonly when: string }>> = {
  unauthenticated: {
    status: Status.UNAUTHENTICATED,
    when: 'missing or unknown API key; client certificate without a Common Name',
  },
  caller_not_authorized: {
    status: Status.PERMISSION_DENIED,
    when: '`caller not authorized`: the caller registry does not permit the caller for the tenant',
  },
  rate_limited: {
    status: Status.RESOURCE_EXHAUSTED,
    when:
      'the caller is over its rate limit (caller registry `rate_limit`, or TOKEN_ENGINE_RATE_LIMIT_*); ' +
      'retry after the `retry-after-ms` header (also a trailer)',
  },
  invalid_argument: {
    status: Status.INVALID_ARGUMENT,
    when: 'a field empty, oversized or malformed, a reserved claim, a bad idempotency key; the message names the field',
  },
  tenant_not_found: { status: Status.NOT_FOUND, when: '`tenant <id> not found`: the tenant is unknown or draining' },
  refresh_token_not_found: {
    status: Status.NOT_FOUND,
    when: 'the refresh token is unknown, expired, malformed or of another tenant',
  },
  refresh_token_revoked: {
    status: Status.PERMISSION_DENIED,
    when: 'the refresh token was revoked; or an idempotent IssueToken or RefreshToken replay whose tokens were revoked since',
  },
  refresh_token_reused: {
    status: Status.PERMISSION_DENIED,
    when: 'the refresh token was already rotated: reuse detected, its whole family is now revoked',
  },
  idempotency_in_progress: {
    status: Status.ABORTED,
    when: 'a call with the same idempotency key is still in progress; retry later',
  },
  idempotency_mismatch: {
    status: Status.FAILED_PRECONDITION,
    when: 'the idempotency key was used before with different request content',
  },
  service_unknown: { status: Status.NOT_FOUND, when: 'health Check of a service name the server does not serve' },
  too_many_streams: {
    status: Status.RESOURCE_EXHAUSTED,
    when: 'the connection already holds as many open streams of this kind as one connection may',
  },
  call_cancelled: { status: Status.CANCELLED, when: 'the client cancelled the call (or its deadline passed) before it ran' },
  shutting_down: {
    status: Status.UNAVAILABLE,
    when: 'a stream ends because the replica is shutting down; reconnect (to another replica)',
  },
  store_unavailable: {
    status: Status.UNAVAILABLE,
    when: 'Redis is unreachable; nothing was changed, the call can be retried',
  },
  keys_unavailable: { status: Status.UNAVAILABLE, when: 'the tenant has no signing key that may sign now; retry' },
  signer_unavailable: {
    status: Status.UNAVAILABLE,
    when: 'the PKCS#11 token holding the signing keys is unreachable or failed (answered within 1 s); nothing was changed, retry',
  },
  cursor_unknown: {
    status: Status.FAILED_PRECONDITION,
    when: 'WatchRevocations `after` names an event no longer retained (or never issued): resubscribe with an empty cursor',
  },
  stream_overflow: {
    status: Status.RESOURCE_EXHAUSTED,
    when: 'a WatchRevocations client fell too far behind (its queue of live events is full); reconnect with the last cursor',
  },
  dpop_proof_invalid: {
    status: Status.INVALID_ARGUMENT,
    when:
      '`dpop proof invalid: <check>`: the DPoP proof failed the named check (`replay`: its `jti` was already used); ' +
      'nothing was consumed. With server nonces on, the `dpop-nonce` header carries the nonce to use',
  },
  dpop_proof_required: {
    status: Status.INVALID_ARGUMENT,
    when: "`dpop proof required`: the refresh token's family is bound to a DPoP key and the request carries no proof",
  },
  dpop_key_mismatch: {
    status: Status.PERMISSION_DENIED,
    when: "the DPoP proof is valid but signed by another key than the one the refresh token's family is bound to",
  },
  api_key_invalid: {
    status: Status.UNAUTHENTICATED,
    when:
      '`api key invalid`: ExchangeApiKey with a key that is unknown, malformed, mistyped (checksum), expired, revoked ' +
      'or of another tenant: one message for all',
  },
  api_key_limit: {
    status: Status.RESOURCE_EXHAUSTED,
    when: 'CreateApiKey: the owner already holds TOKEN_ENGINE_API_KEYS_PER_OWNER live keys; revoke one first',
  },
  api_keys_disabled: {
    status: Status.FAILED_PRECONDITION,
    when:
      'an API-key RPC on a Redis-backed server with neither TOKEN_ENGINE_API_KEY_PEPPER nor ' +
      'TOKEN_ENGINE_KEY_ENCRYPTION_KEY set: API keys are off',
  },
};

/** The status of each domain error code. */
export const STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, Status>> = Object.fromEntries(
  Object.entries(ERROR_TABLE).map(([code, entry]) => [code, entry.status]),
) as Record<ErrorCode, Status>;

/** The message callers see for anything unexpected: no detail leaks. */
export const INTERNAL_MESSAGE = 'internal error';

/** Converts any error to the status the caller sees; unexpected errors become INTERNAL. */
export function toStatus(err: unknown): { code: Status; details: string; expected: boolean } {
  if (err instanceof DomainError) return { code: ERROR_TABLE[err.code].status, details: err.message, expected: true };
  return { code: Status.INTERNAL, details: INTERNAL_MESSAGE, expected: false };
}

/** A grpc-js ServiceError for the handler callback. */
export function toServiceError(err: unknown, metadata: Metadata = new Metadata()): Partial<StatusObject> & ServiceError {
  const { code, details } = toStatus(err);
  return Object.assign(new Error(details), { code, details, metadata });
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

/** The status table as Markdown, for doc/API.md (generated, never edited by hand). */
export function statusReference(): string {
  const rows = Object.entries(ERROR_TABLE).map(([code, entry]) => `| ${Status[entry.status]} | \`${code}\` | ${entry.when} |`);
  return [
    '| gRPC status | error code | when |',
    '|---|---|---|',
    ...rows,
    `| INTERNAL | — | a bug: the message is \`${INTERNAL_MESSAGE}\`, the detail is only in the log (with the correlation id) |`,
  ].join('\n');
}

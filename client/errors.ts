import { status as Status, type Metadata, type ServiceError } from '@grpc/grpc-js';

/** Name of a gRPC status code as in the gRPC specification (`NOT_FOUND`, `UNAVAILABLE`). */
export function codeName(code: number): string {
  const name: unknown = (Status as unknown as Record<number, unknown>)[code];
  return typeof name === 'string' ? name : `CODE_${code}`;
}

/** Where a {@link TokenEngineError} came from and how often the call was tried. */
export interface TokenEngineErrorInit {
  /** The RPC, e.g. `IssueToken`. */
  readonly method: string;
  /** Attempts made, retries included. */
  readonly attempts: number;
  /** The correlation id the call carried (the server logs every line of the call with it). */
  readonly correlationId?: string | undefined;
  /** Response headers and trailers, when the server sent any. */
  readonly metadata?: Metadata | undefined;
}

/**
 * A call that ended with a non-OK gRPC status. `code` is the numeric status (compare with
 * {@link Status}), `codeName` its name, and `message` the server's message verbatim (the
 * server never puts secrets or token fragments in it).
 */
export class TokenEngineError extends Error {
  override readonly name = 'TokenEngineError';
  readonly code: Status;
  readonly codeName: string;
  readonly method: string;
  readonly attempts: number;
  readonly correlationId: string | undefined;
  readonly metadata: Metadata | undefined;

  constructor(code: Status, message: string, init: TokenEngineErrorInit) {
    super(message);
    this.code = code;
    this.codeName = codeName(code);
    this.method = init.method;
    this.attempts = init.attempts;
    this.correlationId = init.correlationId;
    this.metadata = init.metadata;
  }

  /** From a grpc-js error; anything without a numeric code becomes UNKNOWN. */
  static fromServiceError(err: Partial<ServiceError> & Error, init: TokenEngineErrorInit): TokenEngineError {
    const code = typeof err.code === 'number' ? err.code : Status.UNKNOWN;
    const message = typeof err.details === 'string' && err.details !== '' ? err.details : err.message;
    return new TokenEngineError(code, message, { ...init, metadata: init.metadata ?? err.metadata });
  }
}

/** True for a {@link TokenEngineError}, optionally with the given status code. */
export function isTokenEngineError(err: unknown, code?: Status): err is TokenEngineError {
  return err instanceof TokenEngineError && (code === undefined || err.code === code);
}

export { Status };

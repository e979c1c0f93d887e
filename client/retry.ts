import { status as Status } from '@grpc/grpc-js';
import type { TokenEngineError } from './errors.js';
import { IDEMPOTENT_METHODS } from './methods.js';

/** Bounded retries with exponential backoff and jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 3; 1 turns retries off). */
  readonly maxAttempts: number;
  /** Delay before the first retry; doubles for each further one (default 100 ms). */
  readonly initialBackoffMs: number;
  /** Upper bound of one delay (default 1 s). */
  readonly maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1_000 });

/** What an `onRetry` hook is told before the client waits and tries again. */
export interface RetryEvent {
  readonly method: string;
  /** The attempt that just failed (1 for the first). */
  readonly attempt: number;
  /** How long the client waits before the next attempt. */
  readonly delayMs: number;
  readonly error: TokenEngineError;
}

/**
 * Only UNAVAILABLE is retried: it means the request did not take effect (transport down,
 * or the server's store unreachable before any change). DEADLINE_EXCEEDED is not, since
 * the work may have been done; ABORTED (idempotent request still in progress) is left to
 * the caller, who knows whether waiting is worth it.
 */
export function isRetryable(method: string, hasIdempotencyKey: boolean, code: Status): boolean {
  return code === Status.UNAVAILABLE && (IDEMPOTENT_METHODS.has(method) || hasIdempotencyKey);
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with "equal jitter". */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

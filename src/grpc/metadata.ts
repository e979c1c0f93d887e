import type { Metadata } from '@grpc/grpc-js';

/** Metadata keys of the wire contract. */
export const HEADER = {
  apiKey: 'x-api-key',
  authorization: 'authorization',
  correlationId: 'x-correlation-id',
  idempotencyKey: 'x-idempotency-key',
  idempotentReplay: 'x-idempotent-replay',
  retryAfterMs: 'retry-after-ms',
} as const;

/** First value of a metadata key as a string, or undefined. */
export function firstValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

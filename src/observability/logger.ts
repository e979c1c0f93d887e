import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { currentRequestContext } from './context.js';
import { activeTraceIds } from './tracing.js';

export type { Logger };

/**
 * Paths censored wherever they appear in a log object. Code must not log secrets in
 * the first place; this is the safety net.
 */
export const REDACT_PATHS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'apiKey',
  'api_key',
  'password',
  'sentinelPassword',
  'privateKey',
  'kek',
  'authorization',
  'idempotencyKey',
  'idempotency_key',
  'keyEncryptionKey',
  'apiKeyPepper',
  'pepper',
  'staticCallerKeys',
  'sealedPrivateKey',
  'pin',
  'secret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.refresh_token',
  '*.apiKey',
  '*.password',
  '*.sentinelPassword',
  '*.privateKey',
  '*.authorization',
  '*.idempotencyKey',
  '*.idempotency_key',
  '*.keyEncryptionKey',
  '*.apiKeyPepper',
  '*.pepper',
  '*.staticCallerKeys',
  '*.sealedPrivateKey',
  '*.pin',
  '*.secret',
  // ioredis attaches the failed command's arguments (keys, digests, ids, claims) to errors.
  'command.args',
  '*.command.args',
  '*["x-api-key"]',
  '*["x-idempotency-key"]',
  'metadata["x-api-key"]',
  'metadata.authorization',
];

/**
 * The service logger: JSON lines; inside a request each carries its `correlation_id`, and,
 * when tracing is on, the `trace_id` and `span_id` of the active span. Without a
 * destination it writes to stdout asynchronously: lines written while a write is in flight
 * go out together in the next one instead of one blocking syscall per line on the event
 * loop. pino flushes what is left synchronously when the process exits.
 */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'token-engine' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Called for every line: two AsyncLocalStorage reads, and always a new object (pino mutates it).
      mixin: () => {
        const ctx = currentRequestContext();
        const ids = activeTraceIds();
        if (!ctx) return ids ?? {};
        return ids ? { correlation_id: ctx.correlationId, ...ids } : { correlation_id: ctx.correlationId };
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * A logger for the one access line per RPC (`rpc completed`): the same destination, level,
 * mixin and format, without the redaction pass. That pass walks every line against each
 * path of REDACT_PATHS, wildcards included, and was the largest part of logging's cost per
 * call; it can never change this line, whose fields are fixed in code (method, status,
 * duration, caller identity, correlation and trace ids), scalars, and named apart from every
 * redacted path. Nothing else may be logged through it.
 */
export function accessLogger(log: Logger): Logger {
  return log.child({}, { redact: { paths: [] } });
}

import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { currentRequestContext } from './context.js';

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
  'privateKey',
  'kek',
  'authorization',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.refresh_token',
  '*.apiKey',
  '*.password',
  '*.privateKey',
  '*.authorization',
  '*["x-api-key"]',
  'metadata["x-api-key"]',
  'metadata.authorization',
];

/** The service logger: JSON lines, the correlation id of the current request on each. */
export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'token-engine' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = currentRequestContext();
        return ctx ? { correlation_id: ctx.correlationId } : {};
      },
    },
    destination,
  );
}

import { randomUUID } from 'node:crypto';
import type { Tracer } from '@opentelemetry/api';
import { DomainError, invalidArgument } from '../../errors.js';
import { deriveSecrets, fingerprint, openCompleted, sealCompleted } from '../../idempotency/record.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { inSpanAsync } from '../../observability/tracing.js';
import type { IdempotencyStore } from '../../store/ports.js';
import type { RpcCall } from '../call.js';
import { isValidIdempotencyKey } from '../fields.js';
import { firstValue, HEADER } from '../metadata.js';
import type { Step } from './step.js';

export const IDEMPOTENCY_HEADER = HEADER.idempotencyKey;
export const REPLAY_HEADER = HEADER.idempotentReplay;

export const MESSAGES = {
  conflict: 'idempotency_key request field and x-idempotency-key metadata header are both set but differ; set only one',
  badHeader: 'x-idempotency-key must be at most 256 printable ASCII characters',
  badField: 'idempotency_key must be at most 256 printable ASCII characters',
  inProgress: 'a request with this idempotency key is already in progress; retry',
  mismatch: 'this idempotency key was previously used with different request content; use a new key',
  cancelled: 'call cancelled before it ran',
} as const;

export interface IdempotencyDeps {
  readonly store: IdempotencyStore;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How long a pending claim lives (TOKEN_ENGINE_LOCK_TTL). */
  readonly lockTtlMs: number;
  /** How long a completed record is replayed (TOKEN_ENGINE_IDEMPOTENCY_TTL). */
  readonly idempotencyTtlMs: number;
  /** Spans `idempotency claim`, `idempotency promote`, `idempotency release`. */
  readonly tracer: Tracer;
}

/**
 * The client's key from the header or the deprecated field (equal, or only one set);
 * empty when there is none, or when the request names no tenant (validation refuses it).
 */
function clientKeyOf(call: RpcCall, deps: IdempotencyDeps): string {
  const header = firstValue(call.metadata, IDEMPOTENCY_HEADER) ?? '';
  const field = (call.message as { idempotency_key?: unknown }).idempotency_key;
  const fieldKey = typeof field === 'string' ? field : '';
  if (header !== '' && fieldKey !== '' && header !== fieldKey) throw invalidArgument(MESSAGES.conflict);
  const clientKey = header || fieldKey;
  if (clientKey === '' || call.rpc.tenantOf(call.message).trim() === '') return '';
  if (!isValidIdempotencyKey(clientKey)) {
    throw invalidArgument(header === '' ? MESSAGES.badField : MESSAGES.badHeader);
  }
  if (fieldKey !== '') {
    deps.log.info(
      { rpc_method: call.rpc.path, via: header === '' ? 'field' : 'field_and_header' },
      'deprecated idempotency_key field used',
    );
  }
  return clientKey;
}

/**
 * Claim-before-call idempotency for the methods whose descriptor has an idempotency
 * spec: a pending claim while the handler runs, a completed record (encrypted with a key
 * only the client's idempotency key yields) replayed with `x-idempotent-replay: true`
 * for TOKEN_ENGINE_IDEMPOTENCY_TTL or the method's shorter replay TTL, once the method's
 * replay check (if any) lets it out again,
 * and the claim released when the call fails, or is cancelled before its handler ran, so
 * an immediate retry can run (ADR 0002).
 */
export function idempotencyStep(deps: IdempotencyDeps): Step {
  const count = (call: RpcCall, result: 'hit' | 'miss' | 'mismatch'): void =>
    deps.metrics.idempotency.inc({ result, rpc_method: call.rpc.path });

  return async (call, next) => {
    const spec = call.rpc.idempotency;
    if (!spec) return next();
    const clientKey = clientKeyOf(call, deps);
    // No key, or a request validation will refuse anyway: nothing to claim.
    if (clientKey === '') return next();
    const tenantId = call.rpc.tenantOf(call.message);

    const secrets = deriveSecrets(clientKey, { tenantId, callerIdentity: call.callerIdentity ?? '', method: call.rpc.method });
    const requestFingerprint = fingerprint(spec.fingerprint(call.message));
    const owner = randomUUID();
    const claim = await inSpanAsync(deps.tracer, 'idempotency claim', async (span) => {
      const found = await deps.store.claim(secrets.id, owner, deps.lockTtlMs);
      span.setAttribute('token_engine.idempotency.claim', found.kind);
      return found;
    });

    if (claim.kind === 'pending') throw new DomainError('idempotency_in_progress', MESSAGES.inProgress);
    if (claim.kind === 'completed') {
      const opened = openCompleted(secrets, requestFingerprint, claim.record);
      if (opened.kind === 'mismatch') {
        count(call, 'mismatch');
        throw new DomainError('idempotency_mismatch', MESSAGES.mismatch);
      }
      if (opened.kind === 'unreadable') {
        deps.log.warn({ rpc_method: call.rpc.path }, 'idempotency record unreadable; treating as concurrent duplicate');
        throw new DomainError('idempotency_in_progress', MESSAGES.inProgress);
      }
      // The method may refuse to hand the response out again (revoked tokens in it).
      if (spec.checkReplay) await spec.checkReplay(call.service, call.message, opened.response);
      count(call, 'hit');
      call.responseHeaders.set(REPLAY_HEADER, 'true');
      return opened.response;
    }

    // Claimed: this call runs the handler, and the claim is promoted or released after.
    count(call, 'miss');
    const release = (): Promise<void> =>
      inSpanAsync(deps.tracer, 'idempotency release', () => deps.store.release(secrets.id, owner)).catch((err: unknown) => {
        deps.log.warn({ err: (err as Error).message, rpc_method: call.rpc.path }, 'idempotency store: could not release a claim');
      });
    let response: unknown;
    try {
      if (call.signal.aborted) throw new DomainError('call_cancelled', MESSAGES.cancelled);
      response = await next();
    } catch (err) {
      await release();
      throw err;
    }
    const record = sealCompleted(secrets, requestFingerprint, response);
    const ttlMs = Math.min(deps.idempotencyTtlMs, spec.replayTtlMs?.(call.service) ?? deps.idempotencyTtlMs);
    try {
      const kept = await inSpanAsync(deps.tracer, 'idempotency promote', () =>
        deps.store.complete(secrets.id, owner, record, ttlMs),
      );
      if (!kept) deps.log.warn({ rpc_method: call.rpc.path }, 'idempotency claim expired before the response was stored');
    } catch (err) {
      deps.log.warn(
        { err: (err as Error).message, rpc_method: call.rpc.path },
        'idempotency store: could not store the response',
      );
    }
    return response;
  };
}

import { randomUUID } from 'node:crypto';
import { Metadata, ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';
import { context, type Context, type Tracer } from '@opentelemetry/api';
import { isDomainError } from '../../errors.js';
import { deriveSecrets, fingerprint, openCompleted, sealCompleted, type IdempotencySecrets } from '../../idempotency/record.js';
import { currentRequestContext } from '../../observability/context.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { inSpanAsync, tokenEngineTracer } from '../../observability/tracing.js';
import type { IdempotencyStore } from '../../store/ports.js';
import { isValidIdempotencyKey } from '../schemas.js';
import { firstValue, reject } from './common.js';

export const IDEMPOTENCY_HEADER = 'x-idempotency-key';
export const REPLAY_HEADER = 'x-idempotent-replay';

export const MESSAGES = {
  conflict: 'idempotency_key request field and x-idempotency-key metadata header are both set but differ; set only one',
  badHeader: 'x-idempotency-key must be at most 256 printable ASCII characters',
  badField: 'idempotency_key must be at most 256 printable ASCII characters',
  inProgress: 'a request with this idempotency key is already in progress; retry',
  mismatch: 'this idempotency key was previously used with different request content; use a new key',
  unavailable: 'token store unavailable; retry',
} as const;

type Canonicalize = (message: Record<string, unknown>) => unknown;

const sortedClaims = (claims: unknown): [string, string][] =>
  Object.entries((claims ?? {}) as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The methods that honour idempotency keys, with the request content their fingerprint covers. */
const METHODS: ReadonlyMap<string, { name: string; canonical: Canonicalize }> = new Map([
  [
    '/token.v1.TokenEngine/IssueToken',
    {
      name: 'IssueToken',
      canonical: (m) => [m['sub'], m['tenant_id'], sortedClaims(m['claims']), m['audiences'] ?? []],
    },
  ],
  [
    '/token.v1.TokenEngine/RefreshToken',
    {
      name: 'RefreshToken',
      canonical: (m) => [m['refresh_token'], m['tenant_id'], sortedClaims(m['claims'])],
    },
  ],
]);

export interface IdempotencyDeps {
  readonly store: IdempotencyStore;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How long a pending claim lives (TOKEN_ENGINE_LOCK_TTL). */
  readonly lockTtlMs: number;
  /** How long a completed record is replayed (TOKEN_ENGINE_IDEMPOTENCY_TTL). */
  readonly idempotencyTtlMs: number;
  /** Spans `idempotency claim`, `idempotency promote`, `idempotency release`. */
  readonly tracer?: Tracer;
}

/**
 * Claim-before-call idempotency for IssueToken and RefreshToken (spec §5): a pending claim
 * while the handler runs, a completed record (encrypted with a key only the client's
 * idempotency key yields) replayed with `x-idempotent-replay: true`, and the claim
 * released when the call fails so an immediate retry can run.
 */
export function idempotencyInterceptor(deps: IdempotencyDeps): ServerInterceptor {
  const tracer = deps.tracer ?? tokenEngineTracer();
  return (descriptor, call) => {
    const method = METHODS.get(descriptor.path);
    if (!method) return new ServerInterceptingCall(call);
    const rpcMethod = descriptor.path;
    // The request's trace context: promote and release run on the response path, where
    // the active context is the handler's.
    let requestContext: Context | undefined;
    let headerKey: string | undefined;
    let messagesSeen = 0;
    let held: { secrets: IdempotencySecrets; owner: string; requestFingerprint: Buffer } | undefined;

    const decide = async (message: Record<string, unknown>): Promise<'forward' | 'answered'> => {
      const fieldKey = typeof message['idempotency_key'] === 'string' ? message['idempotency_key'] : '';
      const header = headerKey ?? '';
      if (header !== '' && fieldKey !== '' && header !== fieldKey) {
        reject(call, Status.INVALID_ARGUMENT, MESSAGES.conflict);
        return 'answered';
      }
      const clientKey = header || fieldKey;
      const tenantId = message['tenant_id'];
      // No key, or a request validation will refuse anyway: nothing to claim.
      if (clientKey === '' || typeof tenantId !== 'string' || tenantId.trim() === '') return 'forward';
      if (!isValidIdempotencyKey(clientKey)) {
        reject(call, Status.INVALID_ARGUMENT, header === '' ? MESSAGES.badField : MESSAGES.badHeader);
        return 'answered';
      }
      if (fieldKey !== '')
        deps.log.info(
          { rpc_method: rpcMethod, via: header === '' ? 'field' : 'field_and_header' },
          'deprecated idempotency_key field used',
        );

      const secrets = deriveSecrets(clientKey, {
        tenantId,
        callerIdentity: currentRequestContext()?.callerIdentity ?? '',
        method: method.name,
      });
      const requestFingerprint = fingerprint(method.canonical(message));
      const owner = randomUUID();
      const claim = await inSpanAsync(tracer, 'idempotency claim', async (span) => {
        const found = await deps.store.claim(secrets.id, owner, deps.lockTtlMs);
        span.setAttribute('token_engine.idempotency.claim', found.kind);
        return found;
      });
      if (claim.kind === 'claimed') {
        held = { secrets, owner, requestFingerprint };
        return 'forward';
      }
      if (claim.kind === 'pending') {
        reject(call, Status.ABORTED, MESSAGES.inProgress);
        return 'answered';
      }
      const opened = openCompleted(secrets, requestFingerprint, claim.record);
      if (opened.kind === 'mismatch') {
        deps.metrics.idempotency.inc({ result: 'mismatch', rpc_method: rpcMethod });
        reject(call, Status.FAILED_PRECONDITION, MESSAGES.mismatch);
        return 'answered';
      }
      if (opened.kind === 'unreadable') {
        deps.log.warn({ rpc_method: rpcMethod }, 'idempotency record unreadable; treating as concurrent duplicate');
        reject(call, Status.ABORTED, MESSAGES.inProgress);
        return 'answered';
      }
      deps.metrics.idempotency.inc({ result: 'hit', rpc_method: rpcMethod });
      const headers = new Metadata();
      headers.set(REPLAY_HEADER, 'true');
      call.sendMetadata(headers);
      call.sendMessage(opened.response, () => call.sendStatus({ code: Status.OK, details: 'OK', metadata: new Metadata() }));
      return 'answered';
    };

    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            headerKey = firstValue(metadata, IDEMPOTENCY_HEADER);
            mdNext(metadata);
          },
          onReceiveMessage: (message: Record<string, unknown>, msgNext) => {
            // A unary call has one message; grpc-js refuses any further one (UNIMPLEMENTED),
            // and our answer to it must not claim or hold a second record.
            if (messagesSeen++ > 0) return msgNext(message);
            requestContext = context.active();
            decide(message).then(
              (decision) => {
                if (decision === 'forward') msgNext(message);
              },
              (err: unknown) => {
                if (isDomainError(err, 'store_unavailable')) {
                  deps.log.warn(
                    { err: (err.cause as Error | undefined)?.message, rpc_method: rpcMethod },
                    'idempotency store unavailable',
                  );
                  reject(call, Status.UNAVAILABLE, MESSAGES.unavailable);
                } else {
                  deps.log.error({ err, rpc_method: rpcMethod }, 'idempotency interceptor failed');
                  reject(call, Status.INTERNAL, 'internal error');
                }
              },
            );
          },
          // Held back by grpc-js until the message is forwarded; never delivered if we answered.
          onReceiveHalfClose: (hcNext) => hcNext(),
        });
      },
      sendMessage: (response, next) => {
        const claim = held;
        if (!claim) return next(response);
        held = undefined;
        deps.metrics.idempotency.inc({ result: 'miss', rpc_method: rpcMethod });
        const record = sealCompleted(claim.secrets, claim.requestFingerprint, response);
        const promote = (): Promise<boolean> => deps.store.complete(claim.secrets.id, claim.owner, record, deps.idempotencyTtlMs);
        inSpanAsync(tracer, 'idempotency promote', promote, requestContext).then(
          (kept) => {
            if (!kept) deps.log.warn({ rpc_method: rpcMethod }, 'idempotency claim expired before the response was stored');
            next(response);
          },
          (err: unknown) => {
            deps.log.warn(
              { err: (err as Error).message, rpc_method: rpcMethod },
              'idempotency store: could not store the response',
            );
            next(response);
          },
        );
      },
      sendStatus: (status, next) => {
        const claim = held;
        if (!claim || status.code === Status.OK) return next(status);
        held = undefined;
        deps.metrics.idempotency.inc({ result: 'miss', rpc_method: rpcMethod });
        const release = (): Promise<void> => deps.store.release(claim.secrets.id, claim.owner);
        inSpanAsync(tracer, 'idempotency release', release, requestContext).then(
          () => next(status),
          (err: unknown) => {
            deps.log.warn({ err: (err as Error).message, rpc_method: rpcMethod }, 'idempotency store: could not release a claim');
            next(status);
          },
        );
      },
    });
  };
}

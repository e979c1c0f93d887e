import { randomUUID } from 'node:crypto';
import { runInRequestContext } from '../../observability/context.js';
import { accessLogger, type Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { activeTraceIds } from '../../observability/tracing.js';
import { firstValue, HEADER } from '../metadata.js';
import { statusName } from '../status.js';
import type { Step } from './step.js';

export const CORRELATION_HEADER = HEADER.correlationId;
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's id if it is short and plain, else a new UUID v4. */
export function acceptCorrelationId(supplied: string | undefined): string {
  return supplied !== undefined && ACCEPTABLE_ID.test(supplied) ? supplied : randomUUID();
}

/**
 * Opens the request context (correlation id, method) that every inner step, the
 * handler and every log line see; echoes the id as a response header on every outcome;
 * counts the call and its duration, and writes the one access log line of the call
 * (`rpc completed`: method, status, duration, caller identity; debug level for health
 * checks, info for the rest).
 */
export function correlationStep(metrics: Metrics, log: Logger): Step {
  const access = accessLogger(log);
  return async (call, next) => {
    const started = process.hrtime.bigint();
    call.correlationId = acceptCorrelationId(firstValue(call.metadata, CORRELATION_HEADER));
    call.responseHeaders.set(CORRELATION_HEADER, call.correlationId);
    // The RPC's server span (opened by the tracing step), for the access line.
    const traceIds = activeTraceIds();
    let failure: unknown;
    try {
      return await runInRequestContext(call, next);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = statusName(call.outcome(failure));
      const rpcMethod = call.rpc.path;
      metrics.grpcRequests.inc({ rpc_method: rpcMethod, status });
      metrics.grpcDuration.observe({ rpc_method: rpcMethod }, seconds);
      access[call.rpc.public ? 'debug' : 'info'](
        {
          ...traceIds,
          correlation_id: call.correlationId,
          rpc_method: rpcMethod,
          status,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
          caller_identity: call.callerIdentity ?? '',
        },
        'rpc completed',
      );
    }
  };
}

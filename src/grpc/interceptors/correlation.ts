import { randomUUID } from 'node:crypto';
import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { runInRequestContext, type RequestContext } from '../../observability/context.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { activeTraceIds } from '../../observability/tracing.js';
import { statusName } from '../status.js';
import { firstValue, isInfrastructureMethod } from './common.js';

export const CORRELATION_HEADER = 'x-correlation-id';
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's id if it is short and plain, else a new UUID v4 (spec §4). */
export function acceptCorrelationId(supplied: string | undefined): string {
  return supplied !== undefined && ACCEPTABLE_ID.test(supplied) ? supplied : randomUUID();
}

/**
 * Opens the request context (correlation id, method) that every inner interceptor, the
 * handler and every log line see; echoes the id as a response header on every outcome;
 * counts the call and its duration, and writes the one access log line of the call
 * (`rpc completed`: method, status, duration, caller identity; debug level for health
 * checks and reflection, info for the rest).
 */
export function correlationInterceptor(metrics: Metrics, log: Logger): ServerInterceptor {
  return (descriptor, call) => {
    const started = process.hrtime.bigint();
    const accessLevel = isInfrastructureMethod(descriptor.path) ? 'debug' : 'info';
    let ctx: RequestContext | undefined;
    // The RPC's server span (opened by the tracing interceptor), for the access line.
    let traceIds: { trace_id: string; span_id: string } | undefined;
    let headerSent = false;
    const idHeader = (metadata: Metadata): Metadata => {
      if (ctx) metadata.set(CORRELATION_HEADER, ctx.correlationId);
      headerSent = true;
      return metadata;
    };
    const inContext = (fn: () => void): void => (ctx ? runInRequestContext(ctx, fn) : fn());
    let finished = false;
    const finish = (statusCode: number): void => {
      if (finished) return;
      finished = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const code = statusName(statusCode);
      metrics.grpcRequests.inc({ rpc_method: descriptor.path, status: code });
      metrics.grpcDuration.observe({ rpc_method: descriptor.path }, seconds);
      log[accessLevel](
        {
          ...traceIds,
          ...(ctx ? { correlation_id: ctx.correlationId } : {}),
          rpc_method: descriptor.path,
          status: code,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
          caller_identity: ctx?.callerIdentity ?? '',
        },
        'rpc completed',
      );
    };
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            ctx = { correlationId: acceptCorrelationId(firstValue(metadata, CORRELATION_HEADER)), method: descriptor.path };
            traceIds = activeTraceIds();
            inContext(() => mdNext(metadata));
          },
          onReceiveMessage: (message, msgNext) => inContext(() => msgNext(message)),
          onReceiveHalfClose: (hcNext) => inContext(() => hcNext()),
          // A cancelled call (client gone, deadline passed) sends no status: count it here.
          onCancel: () => finish(1),
        });
      },
      sendMetadata: (metadata, next) => next(idHeader(metadata)),
      sendStatus: (status, next) => {
        if (!headerSent) call.sendMetadata(idHeader(new Metadata()));
        finish(status.code);
        next(status);
      },
    });
  };
}

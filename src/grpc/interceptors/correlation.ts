import { randomUUID } from 'node:crypto';
import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { runInRequestContext, type RequestContext } from '../../observability/context.js';
import type { Metrics } from '../../observability/metrics.js';
import { statusName } from '../status.js';
import { firstValue } from './common.js';

export const CORRELATION_HEADER = 'x-correlation-id';
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's id if it is short and plain, else a new UUID v4 (spec §4). */
export function acceptCorrelationId(supplied: string | undefined): string {
  return supplied !== undefined && ACCEPTABLE_ID.test(supplied) ? supplied : randomUUID();
}

/**
 * Opens the request context (correlation id, method) that every inner interceptor, the
 * handler and every log line see; echoes the id as a response header on every outcome;
 * counts the call and its duration.
 */
export function correlationInterceptor(metrics: Metrics): ServerInterceptor {
  return (descriptor, call) => {
    const started = process.hrtime.bigint();
    let ctx: RequestContext | undefined;
    let headerSent = false;
    const idHeader = (metadata: Metadata): Metadata => {
      if (ctx) metadata.set(CORRELATION_HEADER, ctx.correlationId);
      headerSent = true;
      return metadata;
    };
    const inContext = (fn: () => void): void => (ctx ? runInRequestContext(ctx, fn) : fn());
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            ctx = { correlationId: acceptCorrelationId(firstValue(metadata, CORRELATION_HEADER)), method: descriptor.path };
            inContext(() => mdNext(metadata));
          },
          onReceiveMessage: (message, msgNext) => inContext(() => msgNext(message)),
          onReceiveHalfClose: (hcNext) => inContext(() => hcNext()),
          onCancel: () => undefined,
        });
      },
      sendMetadata: (metadata, next) => next(idHeader(metadata)),
      sendStatus: (status, next) => {
        if (!headerSent) call.sendMetadata(idHeader(new Metadata()));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.grpcRequests.inc({ rpc_method: descriptor.path, status: statusName(status.code) });
        metrics.grpcDuration.observe({ rpc_method: descriptor.path }, seconds);
        next(status);
      },
    });
  };
}

import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { ATTR, endWithGrpcStatus, extractTraceContext } from '../../observability/tracing.js';
import { statusName } from '../status.js';
import type { Step } from './step.js';

/** The span name for a method path: `token.v1.TokenEngine/IssueToken` (RPC semantic conventions). */
export function serverSpanName(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/**
 * The outermost step: one SERVER span per RPC, child of the W3C `traceparent` the
 * caller sent. Every inner step and the handler run inside it, so their spans and the
 * Redis spans are its children; a call refused by authentication or validation still
 * gets its span, ended with the status actually sent. Health checks are not traced
 * (probes would drown the real traffic).
 */
export function tracingStep(tracer: Tracer): Step {
  return async (call, next) => {
    if (call.rpc.public) return next();
    const { service, method, path } = call.rpc;
    const parent = extractTraceContext(call.metadata);
    const span = tracer.startSpan(
      serverSpanName(path),
      { kind: SpanKind.SERVER, attributes: { [ATTR.rpcSystem]: 'grpc', [ATTR.rpcService]: service, [ATTR.rpcMethod]: method } },
      parent,
    );
    let failure: unknown;
    try {
      return await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      const code = call.outcome(failure);
      endWithGrpcStatus(span, code, statusName(code));
    }
  };
}

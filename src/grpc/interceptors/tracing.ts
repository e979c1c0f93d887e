import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { context, SpanKind, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR, endWithGrpcStatus, extractTraceContext } from '../../observability/tracing.js';
import { statusName } from '../status.js';
import { isInfrastructureMethod } from './common.js';

/** The span name for a method path: `token.v1.TokenEngine/IssueToken` (RPC semantic conventions). */
export function serverSpanName(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/**
 * The outermost interceptor: one SERVER span per RPC, child of the W3C `traceparent` the
 * caller sent. Every inner interceptor and the handler run inside it, so their spans and
 * the Redis spans are its children; a call refused by authentication or validation still
 * gets its span, ended with the status actually sent. Health checks and reflection are
 * not traced (probes would drown the real traffic).
 */
export function tracingInterceptor(tracer: Tracer): ServerInterceptor {
  return (descriptor, call) => {
    if (isInfrastructureMethod(descriptor.path)) return new ServerInterceptingCall(call);
    const name = serverSpanName(descriptor.path);
    const slash = name.lastIndexOf('/');
    let span: Span | undefined;
    let spanContext: Context | undefined;
    let ended = false;
    const inSpan = (fn: () => void): void => (spanContext ? context.with(spanContext, fn) : fn());
    const end = (code: number): void => {
      if (ended || !span) return;
      ended = true;
      endWithGrpcStatus(span, code, statusName(code));
    };
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const parent = extractTraceContext(metadata);
            span = tracer.startSpan(
              name,
              {
                kind: SpanKind.SERVER,
                attributes: {
                  [ATTR.rpcSystem]: 'grpc',
                  [ATTR.rpcService]: name.slice(0, slash),
                  [ATTR.rpcMethod]: name.slice(slash + 1),
                },
              },
              parent,
            );
            spanContext = trace.setSpan(parent, span);
            inSpan(() => mdNext(metadata));
          },
          onReceiveMessage: (message, msgNext) => inSpan(() => msgNext(message)),
          onReceiveHalfClose: (hcNext) => inSpan(() => hcNext()),
          // A cancelled call (client gone, deadline passed) sends no status.
          onCancel: () => end(1),
        });
      },
      sendStatus: (status, next) => {
        end(status.code);
        next(status);
      },
    });
  };
}

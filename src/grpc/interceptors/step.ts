import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { ATTR } from '../../observability/tracing.js';
import type { RpcCall } from '../call.js';
import type { RpcDescriptor } from '../rpc.js';
import { toStatus } from '../status.js';

/**
 * One link of the chain: it may look at the call, refuse it by throwing a DomainError,
 * run code around the rest of the chain (`next`), or answer without calling `next`
 * (an idempotent replay). Steps are plain async functions: no per-call grpc-js
 * interceptor objects, and every refusal takes the one error path to the status table.
 */
export type Step = (call: RpcCall, next: () => Promise<unknown>) => Promise<unknown>;

/** Runs `steps` in order around `last` (the handler). */
export function compose(steps: readonly Step[], last: (call: RpcCall) => Promise<unknown>): (call: RpcCall) => Promise<unknown> {
  return (call) => {
    const dispatch = (i: number): Promise<unknown> => {
      const step = steps[i];
      return step ? step(call, () => dispatch(i + 1)) : last(call);
    };
    return dispatch(0);
  };
}

/**
 * The skeleton every deciding step shares: skipped for the methods it does not apply
 * to, otherwise the synchronous `decide` runs in a span of its own and the chain goes
 * on only if it did not throw. A refusal sets the span's `rpc.grpc.status_code` but not
 * an error status: a refused caller is not a failure of the service.
 */
export function decidingStep(
  spanName: string,
  tracer: Tracer,
  decide: (call: RpcCall) => void,
  appliesTo: (rpc: RpcDescriptor) => boolean = () => true,
): Step {
  return (call, next) => {
    if (!appliesTo(call.rpc)) return next();
    const span = tracer.startSpan(spanName, { kind: SpanKind.INTERNAL });
    try {
      context.with(trace.setSpan(context.active(), span), () => decide(call));
    } catch (err) {
      span.setAttribute(ATTR.rpcGrpcStatusCode, toStatus(err).code);
      return Promise.reject(err);
    } finally {
      span.end();
    }
    return next();
  };
}

/** Steps that only concern callers of the service, not health probes. */
export const requiresCredentials = (rpc: RpcDescriptor): boolean => !rpc.public;

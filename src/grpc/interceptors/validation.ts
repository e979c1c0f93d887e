import { ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import { ATTR, inSpan, tokenEngineTracer } from '../../observability/tracing.js';
import { REQUEST_SCHEMAS, validateRequest } from '../schemas.js';
import { reject } from './common.js';

/**
 * Validates each request against its zod schema; the handler receives the parsed value.
 * A bad request ends here with INVALID_ARGUMENT naming the field. The check runs in a
 * `validate` span.
 */
export function validationInterceptor(tracer: Tracer = tokenEngineTracer()): ServerInterceptor {
  return (descriptor, call) => {
    const schema = REQUEST_SCHEMAS.get(descriptor.path);
    if (!schema) return new ServerInterceptingCall(call);
    let rejected = false;
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMessage: (message, msgNext) => {
            const result = inSpan(tracer, 'validate', (span) => {
              const outcome = validateRequest(schema, message);
              if (!outcome.ok) span.setAttribute(ATTR.rpcGrpcStatusCode, Status.INVALID_ARGUMENT);
              return outcome;
            });
            if (result.ok) return msgNext(result.value);
            rejected = true;
            reject(call, Status.INVALID_ARGUMENT, result.problem);
          },
          onReceiveHalfClose: (hcNext) => {
            if (!rejected) hcNext();
          },
        });
      },
    });
  };
}

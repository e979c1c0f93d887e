import { ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { CallerRegistry } from '../../access/caller-registry.js';
import { currentRequestContext } from '../../observability/context.js';
import { ATTR, inSpan, tokenEngineTracer } from '../../observability/tracing.js';
import { isInfrastructureMethod, reject } from './common.js';

export const NOT_AUTHORIZED_MESSAGE = 'caller not authorized';

/**
 * Lets a caller act only on the tenants the caller registry permits it (spec §5). The
 * tenant comes from the request's `tenant_id`; a missing identity is a wiring bug. The
 * check runs in an `authorize` span.
 */
export function authorizationInterceptor(registry: CallerRegistry, tracer: Tracer = tokenEngineTracer()): ServerInterceptor {
  return (descriptor, call) => {
    if (isInfrastructureMethod(descriptor.path)) return new ServerInterceptingCall(call);
    let refused = false;
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMessage: (message: { tenant_id?: unknown }, msgNext) => {
            const refusal = inSpan(tracer, 'authorize', (span) => {
              const code = refusalOf(registry, message);
              if (code !== undefined) span.setAttribute(ATTR.rpcGrpcStatusCode, code);
              return code;
            });
            if (refusal !== undefined) {
              refused = true;
              return reject(
                call,
                refusal,
                refusal === Status.INTERNAL ? 'caller identity not set in context' : NOT_AUTHORIZED_MESSAGE,
              );
            }
            msgNext(message);
          },
          onReceiveHalfClose: (hcNext) => {
            if (!refused) hcNext();
          },
        });
      },
    });
  };
}

/** The status refusing the call, or undefined when the caller may act on the tenant. */
function refusalOf(registry: CallerRegistry, message: { tenant_id?: unknown }): Status | undefined {
  const identity = currentRequestContext()?.callerIdentity;
  if (identity === undefined) return Status.INTERNAL;
  const tenantId = typeof message.tenant_id === 'string' ? message.tenant_id : '';
  // An empty tenant is refused by validation, with a message naming the field.
  if (tenantId !== '' && !registry.isPermitted(identity, tenantId)) return Status.PERMISSION_DENIED;
  return undefined;
}

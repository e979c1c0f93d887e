import { ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';
import type { CallerRegistry } from '../../config/caller-registry.js';
import { currentRequestContext } from '../../observability/context.js';
import { isInfrastructureMethod, reject } from './common.js';

export const NOT_AUTHORIZED_MESSAGE = 'caller not authorized';

/**
 * Lets a caller act only on the tenants the caller registry permits it (spec §5). The
 * tenant comes from the request's `tenant_id`; a missing identity is a wiring bug.
 */
export function authorizationInterceptor(registry: CallerRegistry): ServerInterceptor {
  return (descriptor, call) => {
    if (isInfrastructureMethod(descriptor.path)) return new ServerInterceptingCall(call);
    let refused = false;
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMessage: (message: { tenant_id?: unknown }, msgNext) => {
            const identity = currentRequestContext()?.callerIdentity;
            if (identity === undefined) {
              refused = true;
              return reject(call, Status.INTERNAL, 'caller identity not set in context');
            }
            const tenantId = typeof message.tenant_id === 'string' ? message.tenant_id : '';
            // An empty tenant is refused by validation, with a message naming the field.
            if (tenantId !== '' && !registry.isPermitted(identity, tenantId)) {
              refused = true;
              return reject(call, Status.PERMISSION_DENIED, NOT_AUTHORIZED_MESSAGE);
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

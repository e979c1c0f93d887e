import type { Tracer } from '@opentelemetry/api';
import type { CallerRegistry } from '../../access/caller-registry.js';
import { DomainError } from '../../errors.js';
import { decidingStep, requiresCredentials, type Step } from './step.js';

export const NOT_AUTHORIZED_MESSAGE = 'caller not authorized';

/**
 * Lets a caller act only on the tenants the caller registry permits it. The tenant comes
 * from the method's descriptor (the request's `tenant_id` unless it says otherwise); an
 * empty tenant is left to validation, which names the field. Runs in an `authorize` span.
 */
export function authorizationStep(registry: CallerRegistry, tracer: Tracer): Step {
  return decidingStep(
    'authorize',
    tracer,
    (call) => {
      const tenantId = call.rpc.tenantOf(call.message);
      if (tenantId !== '' && !registry.isPermitted(call.callerIdentity ?? '', tenantId)) {
        throw new DomainError('caller_not_authorized', NOT_AUTHORIZED_MESSAGE);
      }
    },
    requiresCredentials,
  );
}

import type { Tracer } from '@opentelemetry/api';
import type { Authenticate } from '../../access/authenticate.js';
import { decidingStep, requiresCredentials, type Step } from './step.js';

/**
 * Authenticates every call but health checks; the identity goes into the call (and so
 * into the request context of every log line). The check runs in an `authenticate` span.
 */
export function authenticationStep(authenticate: Authenticate, tracer: Tracer): Step {
  return decidingStep(
    'authenticate',
    tracer,
    (call) => {
      call.callerIdentity = authenticate(call.metadata, () => call.transport());
    },
    requiresCredentials,
  );
}

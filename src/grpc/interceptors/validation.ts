import type { Tracer } from '@opentelemetry/api';
import { invalidArgument } from '../../errors.js';
import { validationProblem } from '../fields.js';
import { decidingStep, type Step } from './step.js';

/**
 * Validates each request against its descriptor's zod schema; the handler receives the
 * parsed value. A bad request ends here with INVALID_ARGUMENT naming the field. The check
 * runs in a `validate` span.
 */
export function validationStep(tracer: Tracer): Step {
  return decidingStep('validate', tracer, (call) => {
    const result = call.rpc.schema.safeParse(call.message);
    if (!result.success) throw invalidArgument(validationProblem(result.error));
    call.request = result.data;
  });
}

import type { ServerInterceptor } from '@grpc/grpc-js';
import type { Metrics } from '../../observability/metrics.js';
import { apiKeyAuthenticationInterceptor, type StaticKeyAuthenticator } from './authentication.js';
import { correlationInterceptor } from './correlation.js';
import { validationInterceptor } from './validation.js';

export interface InterceptorDeps {
  readonly metrics: Metrics;
  readonly authenticator: StaticKeyAuthenticator;
}

/**
 * The one place that decides the order (spec §5): correlation id → authentication →
 * validation → handler. The first interceptor in the list is the outermost.
 */
export function interceptorChain(deps: InterceptorDeps): ServerInterceptor[] {
  return [correlationInterceptor(deps.metrics), apiKeyAuthenticationInterceptor(deps.authenticator), validationInterceptor()];
}

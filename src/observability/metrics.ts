import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's metrics, on one registry per app instance (no global state). */
export interface Metrics {
  readonly registry: Registry;
  readonly grpcRequests: Counter<'rpc_method' | 'status'>;
  readonly grpcDuration: Histogram<'rpc_method'>;
  readonly idempotency: Counter<'result' | 'rpc_method'>;
  readonly activeTenants: Gauge;
  readonly tenantRegistryOperations: Counter<'operation'>;
  readonly jwksKeyCount: Gauge<'tenant_id'>;
  readonly keyRotations: Counter<'tenant_id' | 'reason'>;
}

/** Creates the registry with Node process metrics and the upstream metric families. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    grpcRequests: new Counter({
      name: 'token_engine_grpc_requests_total',
      help: 'Total number of gRPC requests processed',
      labelNames: ['rpc_method', 'status'],
      registers,
    }),
    grpcDuration: new Histogram({
      name: 'token_engine_grpc_request_duration_seconds',
      help: 'Duration of gRPC requests in seconds',
      labelNames: ['rpc_method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    idempotency: new Counter({
      name: 'token_engine_idempotency_total',
      help: 'Total number of idempotency operations',
      labelNames: ['result', 'rpc_method'],
      registers,
    }),
    activeTenants: new Gauge({
      name: 'token_engine_active_tenants',
      help: 'Number of active tenants',
      registers,
    }),
    tenantRegistryOperations: new Counter({
      name: 'token_engine_tenant_registry_operations_total',
      help: 'Total number of tenant registry operations',
      labelNames: ['operation'],
      registers,
    }),
    jwksKeyCount: new Gauge({
      name: 'token_engine_jwks_key_count',
      help: 'Number of non-expired public keys available in the JWKS endpoint',
      labelNames: ['tenant_id'],
      registers,
    }),
    keyRotations: new Counter({
      name: 'token_engine_key_rotations_total',
      help: 'Signing keys created by this replica, by tenant and reason (scheduled or emergency)',
      labelNames: ['tenant_id', 'reason'],
      registers,
    }),
  };
}

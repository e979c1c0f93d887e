import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValue,
} from 'prom-client';
import { subscribeRedisCommandTimings } from './redis-diagnostics.js';

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
  readonly tokensIssued: Counter<'tenant_id'>;
  readonly tokensRefreshed: Counter<'tenant_id'>;
  readonly tokensRevoked: Counter<'tenant_id' | 'scope'>;
  readonly refreshReuseDetected: Counter<'tenant_id'>;
  readonly dpopProofs: Counter<'result'>;
  readonly redisCommandDuration: Histogram<'command' | 'script' | 'outcome'>;
  readonly reconcilerRuns: Counter<'outcome'>;
  readonly reconcilerFixedKeys: Counter;
  readonly tokenValidations: Counter<'tenant_id' | 'via' | 'result' | 'reason'>;
  readonly watchStreams: Gauge<'tenant_id'>;
  readonly watchStreamsEnded: Counter<'reason'>;
  readonly revocationEventsDelivered: Counter<'tenant_id'>;
  readonly revocationEventLag: Histogram;
  readonly rateLimited: Counter<'caller_identity' | 'rpc_method'>;
  readonly rateLimitUnchecked: Counter<'rpc_method'>;
  readonly readiness: Gauge<'check'>;
  readonly signingKeyAge: Gauge<'tenant_id'>;
  readonly keyRotationInterval: Gauge<'tenant_id'>;
  /** Gives the scrape-time gauges (readiness, keys) what they read; set once by the app. */
  observe(sources: ScrapeSources): void;
}

/** What the gauges computed at scrape time read. */
export interface ScrapeSources {
  /** Every readiness check with its outcome now. */
  readiness(): Promise<readonly { readonly check: string; readonly ok: boolean }[]>;
  /** Per tenant: published keys, since when the signing key signs, and the rotation interval. */
  keys(): Iterable<{
    readonly tenantId: string;
    readonly published: number;
    /** When the key that signs now started signing (ms); undefined when no key may sign. */
    readonly signingSince: number | undefined;
    readonly rotationIntervalMs: number;
  }>;
  now(): number;
}

/** How a WatchRevocations stream ended (`token_engine_revocation_watch_streams_ended_total`). */
export const WATCH_END_REASONS = ['client', 'shutting_down', 'overflow', 'store_unavailable', 'cursor_unknown', 'error'] as const;

/** Outcomes of one reconciler run over one tenant (`token_engine_reconciler_runs_total`). */
export const RECONCILER_OUTCOMES = ['success', 'skipped', 'error'] as const;

/**
 * The token counters the TokenService feeds. Every label value is bounded: tenant ids
 * come from configuration (a call naming an unknown tenant is never counted), scopes
 * are a closed set.
 */
export type TokenMetrics = Pick<Metrics, 'tokensIssued' | 'tokensRefreshed' | 'tokensRevoked' | 'refreshReuseDetected'>;

/**
 * prom-client's default gauges whose `_total` suffix breaks the exposition conventions
 * (`promtool check metrics`); each repeats the sum of its per-type sibling
 * (`nodejs_active_handles{type}` …), so nothing is lost.
 */
const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * A gauge exposed with `# TYPE … untyped`. Only for `token_engine_jwks_key_count`: its
 * upstream name must stay (compatibility promise), and a *gauge* ending in `_count` reads
 * as a histogram part to Prometheus tooling (promtool rejects it); untyped samples are
 * stored and queried exactly like a gauge's.
 */
class UntypedGauge<T extends string> extends Gauge<T> {
  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    // prom-client declares `type` as a numeric enum; at run time it is the exposition word.
    return { ...(await super.get()), type: 'untyped' as unknown as MetricType };
  }
}

/** Creates the registry with Node process metrics and the service's metric families. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  const registers = [registry];
  let sources: ScrapeSources | undefined;
  return {
    observe: (given) => {
      sources = given;
    },
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
      // Every worker process serves the same tenants: the host's value is the same, not the sum.
      aggregator: 'max',
      registers,
    }),
    tenantRegistryOperations: new Counter({
      name: 'token_engine_tenant_registry_operations_total',
      help: 'Total number of tenant registry operations',
      labelNames: ['operation'],
      registers,
    }),
    jwksKeyCount: new UntypedGauge({
      name: 'token_engine_jwks_key_count',
      help: 'Number of non-expired public keys available in the JWKS endpoint',
      labelNames: ['tenant_id'],
      aggregator: 'max',
      registers,
      // Read at scrape time, so it is true whether or not anyone fetched the JWKS.
      collect() {
        if (!sources) return;
        this.reset();
        for (const k of sources.keys()) this.set({ tenant_id: k.tenantId }, k.published);
      },
    }),
    signingKeyAge: new Gauge({
      name: 'token_engine_signing_key_age_seconds',
      help: 'How long the key that signs now has been signing, by tenant (absent: no key may sign)',
      labelNames: ['tenant_id'],
      aggregator: 'max',
      registers,
      collect() {
        if (!sources) return;
        this.reset();
        const now = sources.now();
        for (const k of sources.keys()) {
          if (k.signingSince !== undefined) this.set({ tenant_id: k.tenantId }, (now - k.signingSince) / 1000);
        }
      },
    }),
    keyRotationInterval: new Gauge({
      name: 'token_engine_key_rotation_interval_seconds',
      help: 'The configured signing-key rotation interval, by tenant (for alerting on overdue rotations)',
      labelNames: ['tenant_id'],
      aggregator: 'max',
      registers,
      collect() {
        if (!sources) return;
        this.reset();
        for (const k of sources.keys()) this.set({ tenant_id: k.tenantId }, k.rotationIntervalMs / 1000);
      },
    }),
    readiness: new Gauge({
      name: 'token_engine_readiness_check',
      help: 'Readiness checks of this replica at scrape time: 1 passing, 0 failing (GET /healthz/ready)',
      labelNames: ['check'],
      aggregator: 'min',
      registers,
      async collect() {
        if (!sources) return;
        for (const { check, ok } of await sources.readiness()) this.set({ check }, ok ? 1 : 0);
      },
    }),
    keyRotations: new Counter({
      name: 'token_engine_key_rotations_total',
      help: 'Signing keys created by this replica, by tenant and reason (scheduled or emergency)',
      labelNames: ['tenant_id', 'reason'],
      registers,
    }),
    tokensIssued: new Counter({
      name: 'token_engine_tokens_issued_total',
      help: 'Token pairs issued by IssueToken, by tenant',
      labelNames: ['tenant_id'],
      registers,
    }),
    tokensRefreshed: new Counter({
      name: 'token_engine_tokens_refreshed_total',
      help: 'Refresh tokens rotated by RefreshToken, by tenant',
      labelNames: ['tenant_id'],
      registers,
    }),
    tokensRevoked: new Counter({
      name: 'token_engine_tokens_revoked_total',
      help: 'Revocations recorded (one per revocation call, however many tokens it covers), by tenant and scope',
      labelNames: ['tenant_id', 'scope'],
      registers,
    }),
    refreshReuseDetected: new Counter({
      name: 'token_engine_refresh_token_reuse_detected_total',
      help: 'Already-rotated refresh tokens presented again (the token family was revoked), by tenant',
      labelNames: ['tenant_id'],
      registers,
    }),
    dpopProofs: new Counter({
      name: 'token_engine_dpop_proofs_total',
      help: 'DPoP proofs checked, by result: accepted, or the check that failed (replay: a jti used again)',
      labelNames: ['result'],
      registers,
    }),
    redisCommandDuration: new Histogram({
      name: 'token_engine_redis_command_duration_seconds',
      help: 'Redis command latency from write to reply, by command, Lua script and outcome',
      labelNames: ['command', 'script', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    reconcilerRuns: new Counter({
      name: 'token_engine_reconciler_runs_total',
      help: 'Reconciler runs over one tenant by this replica: success, skipped (another replica holds this interval), error',
      labelNames: ['outcome'],
      registers,
    }),
    reconcilerFixedKeys: new Counter({
      name: 'token_engine_reconciler_fixed_keys_total',
      help: 'Keys the reconciler found without an expiry and gave one (Redis), or expired entries it removed (memory store)',
      registers,
    }),
    rateLimited: new Counter({
      name: 'token_engine_rate_limited_total',
      help: 'Calls refused with RESOURCE_EXHAUSTED by the caller rate limit, by caller (configured identities, else unlisted) and method',
      labelNames: ['caller_identity', 'rpc_method'],
      registers,
    }),
    rateLimitUnchecked: new Counter({
      name: 'token_engine_rate_limit_unchecked_total',
      help: 'Calls of a rate-limited caller let through unchecked because the rate-limit store (Redis) was unreachable',
      labelNames: ['rpc_method'],
      registers,
    }),
    tokenValidations: new Counter({
      name: 'token_engine_token_validations_total',
      help: 'Access tokens validated (ValidateToken, ext_authz Check), by tenant, entry point, result and inactive reason',
      labelNames: ['tenant_id', 'via', 'result', 'reason'],
      registers,
    }),
    watchStreams: new Gauge({
      name: 'token_engine_revocation_watch_streams',
      help: 'WatchRevocations streams open now, by tenant',
      labelNames: ['tenant_id'],
      registers,
    }),
    watchStreamsEnded: new Counter({
      name: 'token_engine_revocation_watch_streams_ended_total',
      help: 'WatchRevocations streams ended, by why: client, shutting_down, overflow, store_unavailable, cursor_unknown, error',
      labelNames: ['reason'],
      registers,
    }),
    revocationEventsDelivered: new Counter({
      name: 'token_engine_revocation_events_delivered_total',
      help: 'Revocation events sent to WatchRevocations streams (one per event per stream; heartbeats apart), by tenant',
      labelNames: ['tenant_id'],
      registers,
    }),
    revocationEventLag: new Histogram({
      name: 'token_engine_revocation_event_lag_seconds',
      help: 'Time from a revocation to its event being sent on a WatchRevocations stream (live events, not backlog)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

/**
 * Feeds the Redis latency histogram from ioredis's diagnostics channel; the returned
 * function unsubscribes (the app's stop).
 */
export function observeRedisCommands(metrics: Metrics): () => void {
  return subscribeRedisCommandTimings((sample) =>
    metrics.redisCommandDuration.observe(
      { command: sample.command, script: sample.script, outcome: sample.outcome },
      sample.seconds,
    ),
  );
}

import { randomBytes } from 'node:crypto';
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import {
  apiKeyAuthentication,
  clientCertificateAuthentication,
  StaticKeyAuthenticator,
  type Authenticate,
} from './access/authenticate.js';
import { createApiKeyMetrics } from './apikeys/metrics.js';
import { API_KEY_RPCS } from './apikeys/rpcs.js';
import { type Pepper, pepperFromKeyEncryptionKey } from './apikeys/secret.js';
import { ApiKeyService } from './apikeys/service.js';
import { ALLOW_ALL, loadCallerRegistry, type CallerRegistry } from './access/caller-registry.js';
import { callerRateLimits } from './access/rate-limits.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/config.js';
import { DpopNonces } from './dpop/nonce.js';
import { DpopVerifier } from './dpop/verifier.js';
import { ENVOY_AUTH_PROTO, ExtAuthz } from './ext-authz/check.js';
import { extAuthzRpcs } from './ext-authz/rpcs.js';
import { HEALTH_PROTO, HEALTH_RPCS, HealthStatus } from './grpc/health.js';
import { interceptorChain } from './grpc/interceptors/index.js';
import { loadTokenEngineProto } from './grpc/proto.js';
import { bind } from './grpc/rpc.js';
import { bindGrpcServer, createGrpcServer, SERVICE_NAME } from './grpc/server.js';
import { loadServerTlsCredentials, peerCommonName } from './grpc/tls.js';
import { createSidecar, notReadyForTenants, type ReadinessCheck, readinessOutcomes } from './http/sidecar.js';
import { KeyMaintenance } from './jobs/key-maintenance.js';
import { Pkcs11Signer } from './keys/pkcs11/pkcs11-signer.js';
import { SealedKeySigner } from './keys/sealed-signer.js';
import type { Signer } from './keys/signer.js';
import { Reconciler } from './jobs/reconciler.js';
import { joinMetricsAggregation } from './lifecycle/workers.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, observeRedisCommands, type Metrics } from './observability/metrics.js';
import { createMemoryStores } from './store/memory/index.js';
import type { Stores } from './store/ports.js';
import { type ConnectProblem, connectWithRetry, createRedisClient, RedisConnectError } from './store/redis/client.js';
import { createRedisStores } from './store/redis/index.js';
import { buildTenant, Tenancy, tenantDefinitions, tenantSettings } from './tenancy/tenancy.js';
import { TenantRegistry } from './tenancy/tenants.js';
import { TOKEN_RPCS } from './tokens/rpcs.js';
import { TokenService } from './tokens/token-service.js';
import { VALIDATION_RPCS } from './validation/rpcs.js';
import { TokenValidator } from './validation/validator.js';
import { RevocationFeed } from './watch/feed.js';
import { WATCH_RPCS } from './watch/rpcs.js';

/** Redis is retried this long at start before the process gives up (doc/OPERATIONS.md, "Graceful shutdown"). */
export const REDIS_STARTUP_DEADLINE_MS = 30_000;
/** In-flight calls get this long to finish at shutdown before they are cancelled. */
export const GRPC_DRAIN_MS = 10_000;

export interface AppOverrides {
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Shorter Redis start-up deadline (tests). */
  readonly redisStartupDeadlineMs?: number;
  /** One of several worker processes (TOKEN_ENGINE_WORKERS): /metrics aggregates the host. */
  readonly clusterWorker?: boolean;
}

/** A built application: servers bound on start, everything closed on stop. */
export interface App {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly tenants: TenantRegistry;
  readonly tokens: TokenService;
  /** ValidateToken's (and ext_authz's) validator. */
  readonly validator: TokenValidator;
  /** WatchRevocations: the open streams and their shared readers. */
  readonly feed: RevocationFeed;
  /** CreateApiKey, ListApiKeys, RevokeApiKey, ExchangeApiKey. */
  readonly apiKeys: ApiKeyService;
  readonly stores: Stores;
  /** Holds the private signing keys (sealed in the store, or in a PKCS#11 token). */
  readonly signer: Signer;
  /** The key-rotation scheduler (tests drive `tick()` with a controlled clock). */
  readonly keyMaintenance: KeyMaintenance;
  /** The reconciler (tests drive `tick()` and `run()`). */
  readonly reconciler: Reconciler;
  /** Emergency rotation for one tenant; returns the new kid. */
  rotateKeys(tenantId: string, retireOthers: boolean): Promise<string>;
  /** Re-reads TOKEN_ENGINE_TENANTS_PATH: adds new tenants, drains and removes dropped ones. */
  reloadTenants(): Promise<void>;
  /** Binds gRPC and HTTP; resolves with the bound ports (configured port 0 → a free one). */
  start(): Promise<{ grpcPort: number; httpPort: number }>;
  /**
   * Graceful stop (doc/OPERATIONS.md, "Graceful shutdown"): readiness 503 and gRPC health NOT_SERVING first, then
   * the long-lived streams (health Watch, WatchRevocations) end UNAVAILABLE, then no new
   * calls and the in-flight ones drained (forced after GRPC_DRAIN_MS), then HTTP, the
   * background jobs and the store are closed.
   */
  stop(): Promise<void>;
}

/** The composition root: builds stores, tenants, services and servers from the config. */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.logLevel);
  const metrics = createMetrics();

  // Credentials, the caller registry and the tenants file are read before anything
  // connects: a bad file stops the start with a clear message.
  const transport = await transportSecurity(config);
  const callers = await callerRegistry(config, log);
  const definitions = await tenantDefinitions(config);

  const stores = await openStores(config, clock, log, overrides.redisStartupDeadlineMs ?? REDIS_STARTUP_DEADLINE_MS);
  let signer: Signer | undefined;
  try {
    signer = await openSigner(config, stores, log);
    const keySigner = signer;
    const tenants = new TenantRegistry((operation, registered) => {
      metrics.tenantRegistryOperations.inc({ operation });
      metrics.activeTenants.set(registered);
    });
    const settings = tenantSettings(config);
    const tenancy = new Tenancy(
      tenants,
      config,
      (definition) =>
        buildTenant(definition, settings, {
          signingKeys: stores.signingKeys,
          locks: stores.locks,
          signer: keySigner,
          clock,
          log,
          onRotated: (tenantId, reason) => metrics.keyRotations.inc({ tenant_id: tenantId, reason }),
        }),
      log,
    );
    await tenancy.load(definitions);
    const defaultTenantId = config.issuer;
    const keyMaintenance = new KeyMaintenance(tenants, log, () => clock.now());
    const reconciler = new Reconciler({
      tenants,
      store: stores.maintenance,
      locks: stores.locks,
      log,
      metrics,
      now: () => clock.now(),
      intervalMs: config.reconciliationIntervalMs,
    });

    const dpop = dpopVerifier(config, stores, clock, log, metrics);
    const tokens = new TokenService({
      tenants,
      store: stores.tokens,
      clock,
      log,
      metrics,
      dpop,
      refreshReplayWindowMs: config.refreshReplayWindowMs,
    });
    const validator = new TokenValidator({ tenants, store: stores.tokens, clock, metrics, dpop });
    const feed = new RevocationFeed({ tenants, events: stores.events, clock, log, metrics });
    const apiKeys: ApiKeyService = new ApiKeyService({
      tenants,
      store: stores.apiKeys,
      clock,
      log,
      pepper: apiKeyPepper(config, log),
      perOwner: config.apiKeysPerOwner,
      maxLifetimeMs: config.apiKeyMaxLifetimeMs,
      tokenTtlMs: config.apiKeyTokenTtlMs,
      metrics: createApiKeyMetrics(metrics.registry, () => apiKeys.liveCounts()),
      dpop,
    });
    const health = new HealthStatus([SERVICE_NAME]);
    const server = createGrpcServer({
      steps: interceptorChain({
        metrics,
        log,
        authenticate: transport.authenticate,
        callers,
        rateLimits: callerRateLimits(callers, { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst }),
        rateLimitStore: stores.rateLimits,
        now: () => clock.now(),
        idempotency: stores.idempotency,
        lockTtlMs: config.lockTtlMs,
        idempotencyTtlMs: config.idempotencyTtlMs,
      }),
      // Every method served: one descriptor list per feature, each bound to its service.
      rpcs: [
        ...bind(tokens, TOKEN_RPCS),
        ...bind(validator, VALIDATION_RPCS),
        ...bind(feed, WATCH_RPCS),
        ...bind(apiKeys, API_KEY_RPCS),
        ...bind(health, HEALTH_RPCS),
        ...(config.extAuthz ? bind(new ExtAuthz(validator, metrics), extAuthzRpcs(defaultTenantId)) : []),
      ],
      packageDefinition: loadTokenEngineProto([HEALTH_PROTO, ...(config.extAuthz ? [ENVOY_AUTH_PROTO] : [])]).packageDefinition,
      log,
      reflection: config.grpcReflection,
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      maxConnectionAgeGraceMs: config.maxConnectionAgeGraceMs,
    });

    let shuttingDown = false;
    const checks: ReadinessCheck[] = [
      ...(config.store === 'redis' ? [{ name: 'redis', check: () => stores.health.ping() }] : []),
      // Observability: the audit trail is readable (see auditCheck).
      { name: 'audit', check: () => auditCheck(stores, tenants) },
      { name: 'reconciler', check: () => reconciler.check() },
      {
        name: 'key_availability',
        check: async () => {
          await keySigner.health();
          const without = tenants.all().filter((t) => {
            try {
              t.keys.current();
              return false;
            } catch {
              return true;
            }
          });
          if (without.length > 0) {
            throw notReadyForTenants(
              'no signing key available',
              without.map((t) => t.id),
            );
          }
        },
      },
    ];
    metrics.observe({
      readiness: () => readinessOutcomes(checks),
      keys: () =>
        tenants.all().map((t) => ({
          tenantId: t.id,
          published: t.keys.size(),
          signingSince: t.keys.signingSince(),
          rotationIntervalMs: t.keys.rotationIntervalMs,
        })),
      now: () => clock.now(),
    });
    const sidecar = createSidecar({
      log,
      metrics,
      ...(overrides.clusterWorker ? { metricsText: joinMetricsAggregation(metrics.registry) } : {}),
      tenants,
      defaultTenantId,
      jwksCacheMaxAgeSeconds: Math.floor(config.jwksCacheMaxAgeMs / 1000),
      isShuttingDown: () => shuttingDown,
      checks,
    });

    // Observability: Redis command latency from ioredis's diagnostics channel, until stop.
    let stopRedisLatency: (() => void) | undefined;

    return {
      log,
      metrics,
      tenants,
      tokens,
      validator,
      feed,
      apiKeys,
      stores,
      signer: keySigner,
      keyMaintenance,
      reconciler,
      rotateKeys: async (tenantId, retireOthers) => {
        const tenant = tenants.get(tenantId);
        if (!tenant) throw new Error(`tenant ${tenantId} not found`);
        return tenant.keys.rotateNow(retireOthers);
      },
      reloadTenants: () => tenancy.reload(),
      start: async () => {
        stopRedisLatency ??= observeRedisCommands(metrics);
        const ports = await startServers(config, server, transport.credentials, health, sidecar, log);
        keyMaintenance.start();
        reconciler.start();
        return ports;
      },
      stop: async () => {
        shuttingDown = true;
        await stopServers(server, health, sidecar, log, () => feed.close());
        await Promise.all([keyMaintenance.stop(), reconciler.stop()]);
        await keySigner.close();
        await stores.close();
        stopRedisLatency?.();
        stopRedisLatency = undefined;
      },
    };
  } catch (err) {
    await signer?.close();
    await stores.close();
    throw err;
  }
}

/**
 * The pepper of the API-key digests: TOKEN_ENGINE_API_KEY_PEPPER, else derived from the
 * key-encryption key. With neither, the memory store (one process, nothing persists) uses
 * a random one; the Redis store turns the feature off, since a pepper that differs per
 * replica or per start would make every stored key unusable.
 */
function apiKeyPepper(config: Config, log: Logger): Pepper | undefined {
  if (config.apiKeyPepper) return config.apiKeyPepper;
  if (config.keyEncryptionKey) return pepperFromKeyEncryptionKey(config.keyEncryptionKey);
  if (config.store === 'memory') {
    log.warn('TOKEN_ENGINE_API_KEY_PEPPER is not set: API keys use a random pepper and die with this process');
    return randomBytes(32);
  }
  log.warn(
    'neither TOKEN_ENGINE_API_KEY_PEPPER nor TOKEN_ENGINE_KEY_ENCRYPTION_KEY is set: the API-key RPCs are off (FAILED_PRECONDITION)',
  );
  return undefined;
}

/** The signer of TOKEN_ENGINE_SIGNER, shared by every tenant; a PKCS#11 token that cannot be used stops the start. */
/**
 * The DPoP proof checker. Server nonces are keyed from the key-encryption key, which every
 * replica shares; without one the key is this process's own, and nonces handed out by one
 * replica are refused by another (a warning says so).
 */
function dpopVerifier(config: Config, stores: Stores, clock: Clock, log: Logger, metrics: Metrics): DpopVerifier {
  let nonces: DpopNonces | undefined;
  if (config.dpopNonce) {
    if (!config.keyEncryptionKey && config.store === 'redis') {
      log.warn(
        'TOKEN_ENGINE_DPOP_NONCE is on without TOKEN_ENGINE_KEY_ENCRYPTION_KEY: nonces are valid on the replica that handed them out only',
      );
    }
    nonces = new DpopNonces(config.keyEncryptionKey, config.dpopIatWindowMs, clock);
  }
  return new DpopVerifier({
    policy: { algorithms: config.dpopAlgs, iatWindowMs: config.dpopIatWindowMs, nonces },
    replay: stores.dpopReplay,
    clock,
    metrics,
  });
}

async function openSigner(config: Config, stores: Stores, log: Logger): Promise<Signer> {
  if (config.signer !== 'pkcs11' || !config.pkcs11) return new SealedKeySigner(config.keyEncryptionKey);
  return Pkcs11Signer.connect(config.pkcs11, { log, locks: stores.locks, lockTtlMs: config.lockTtlMs });
}

/**
 * Readiness check `audit`: reads the newest record of every tenant's audit stream. The
 * stream lives in the same Redis as the tokens (with Redis Cluster, on the node serving
 * the tenant's hash slot), and each revocation writes its record in the same script as
 * the revocation itself, so a revocation can never succeed without its record. This
 * proves the node holding each stream answers a stream read; it writes nothing. The
 * reason served counts the tenants whose stream failed; the log line names them.
 */
async function auditCheck(stores: Stores, tenants: TenantRegistry): Promise<void> {
  const unreadable: string[] = [];
  await Promise.all(
    tenants.all().map(async (tenant) => {
      try {
        await stores.tokens.recentAudit(tenant.id, 1);
      } catch {
        unreadable.push(tenant.id);
      }
    }),
  );
  if (unreadable.length > 0) throw notReadyForTenants('audit stream unreadable', unreadable);
}

/** How callers connect and prove who they are, from TOKEN_ENGINE_TLS_MODE. */
async function transportSecurity(config: Config): Promise<{ credentials: ServerCredentials; authenticate: Authenticate }> {
  if (config.tlsMode === 'mtls' && config.tls) {
    return {
      credentials: await loadServerTlsCredentials(config.tls),
      authenticate: clientCertificateAuthentication(peerCommonName),
    };
  }
  return {
    credentials: ServerCredentials.createInsecure(),
    authenticate: apiKeyAuthentication(new StaticKeyAuthenticator(config.staticCallerKeys)),
  };
}

/** The caller registry file, or everyone allowed (TLS disabled only) with a loud warning. */
async function callerRegistry(config: Config, log: Logger): Promise<CallerRegistry> {
  if (config.callerRegistryPath) return loadCallerRegistry(config.callerRegistryPath);
  log.warn('no caller registry path configured; all callers are permitted for all tenants — not safe for production');
  return ALLOW_ALL;
}

async function openStores(config: Config, clock: Clock, log: Logger, deadlineMs: number): Promise<Stores> {
  if (config.store === 'memory') {
    log.info('using the embedded memory store: data lives in this process only');
    return createMemoryStores(clock);
  }
  const redis = createRedisClient(config.redis);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  try {
    await connectWithRetry(redis, deadlineMs);
  } catch (err) {
    redis.disconnect();
    throw err instanceof RedisConnectError ? startupFailure(err) : err;
  }
  return createRedisStores(redis, () => clock.now());
}

/** What to check when Redis or the Sentinels refused the credentials at start-up. */
const REFUSED_CREDENTIALS: Readonly<Record<Exclude<ConnectProblem, 'unreachable'>, string>> = {
  redis_auth:
    'Redis refused the credentials (check TOKEN_ENGINE_REDIS_PASSWORD, or the user and password of TOKEN_ENGINE_REDIS_URL)',
  sentinel_auth:
    'the Sentinels refused the credentials (check TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD and TOKEN_ENGINE_REDIS_SENTINEL_USERNAME)',
};

/** The start-up failure as the operator reads it: what was refused and which settings to check. */
function startupFailure(err: RedisConnectError): Error {
  if (err.problem === 'unreachable') return err;
  const seconds = Math.round(err.deadlineMs / 1000);
  return new Error(`cannot use Redis after ${seconds} s: ${REFUSED_CREDENTIALS[err.problem]}: ${err.reason}`, { cause: err });
}

async function startServers(
  config: Config,
  server: Server,
  credentials: ServerCredentials,
  health: HealthStatus,
  sidecar: FastifyInstance,
  log: Logger,
): Promise<{ grpcPort: number; httpPort: number }> {
  const grpcPort = await bindGrpcServer(server, config.grpcAddr.host, config.grpcAddr.port, credentials);
  await sidecar.listen({ host: config.httpAddr.host, port: config.httpAddr.port });
  const address = sidecar.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpAddr.port;
  health.setServing(true);
  log.info({ grpc_port: grpcPort, http_port: httpPort, tls_mode: config.tlsMode, store: config.store }, 'token-engine started');
  return { grpcPort, httpPort };
}

async function stopServers(
  server: Server,
  health: HealthStatus,
  sidecar: FastifyInstance,
  log: Logger,
  closeStreams: () => void,
): Promise<void> {
  // Watchers learn NOT_SERVING first; their streams then end, so they do not hold the drain.
  health.setServing(false);
  health.close();
  // Revocation streams end UNAVAILABLE now, so their clients reconnect to another replica.
  closeStreams();
  log.info({ drain_ms: GRPC_DRAIN_MS }, 'not ready; draining in-flight calls');
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      log.warn('graceful gRPC stop timed out; forcing stop');
      server.forceShutdown();
      resolve();
    }, GRPC_DRAIN_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
  await sidecar.close();
}

/**
 * Every environment variable the service reads, each once: name, value type, typed default,
 * requirement, severity, secrecy, description and the Config field it fills. The loader,
 * the messages and the configuration reference (doc/CONFIGURATION.md) all come from here.
 *
 * Adding a variable: one entry here (and its field in `Config` when it is new), then
 * `make docs`. Pick a value type (value-types.ts, address.ts, credentials.ts) or add one;
 * `secret: true` keeps the value out of every message and accepts `<NAME>_FILE`; a rule in
 * rules.ts is needed only when the variable depends on others. Order matters only for the
 * reference and for the order of messages.
 */
import { defaultBurst, MAX_BURST, MAX_RATE_PER_SECOND, MIN_RATE_PER_SECOND } from '../access/rate-limits.js';
import { DEFAULT_SIGNING_ALG, SIGNING_ALGS } from '../keys/algorithms.js';
import { SIGNER_KINDS } from '../keys/signer.js';
import { DPOP_DEFAULT_ALGS, DPOP_SUPPORTED_ALGS } from '../dpop/proof.js';
import { ANY_HOST, hostPort, hostPortList, LOCAL_HOST, listenAddress } from './address.js';
import { callerKeys, key32 } from './credentials.js';
import { FrozenMap } from './frozen.js';
import { REDIS_PORT, redisUrl } from './redis-url.js';
import { type Config, LOG_LEVELS, STORE_KINDS, TLS_MODES } from './types.js';
import {
  bool,
  callRate,
  choice,
  choiceList,
  duration,
  HOUR,
  intAtLeast,
  intBetween,
  MINUTE,
  otlpEndpoint,
  path,
  removed,
  SECOND,
  text,
} from './value-types.js';
import { DerivedDefault, describeVariable, type EnvVariable, fileVariable, type ValueOf, variable } from './variable.js';

// biome-ignore format: one compact block per variable reads as a table
/** The table: every variable, in the order of the reference and of messages. */
export const VARIABLES = [
  variable({ name: 'TOKEN_ENGINE_ISSUER', field: 'issuer', type: text, required: 'always', onInvalid: 'fatal',
    description: 'JWT `iss` of the default tenant; also its tenant id and data namespace.' }),
  variable({ name: 'TOKEN_ENGINE_AUDIENCE', field: 'audience', type: text, required: 'always', onInvalid: 'fatal',
    description: 'JWT `aud` used when a request for the default tenant names no audiences.' }),
  variable({ name: 'TOKEN_ENGINE_TLS_MODE', field: 'tlsMode', type: choice(TLS_MODES, { echo: false }),
    default: 'mtls', onInvalid: 'fatal',
    description: 'mtls: TLS 1.3 with client certificates; disabled: plaintext with static API keys.' }),
  variable({ name: 'TOKEN_ENGINE_STATIC_CALLER_KEYS', field: 'staticCallerKeys', type: callerKeys,
    default: new FrozenMap<string, string>(), onInvalid: 'fatal', secret: true,
    description: 'API keys accepted when TLS mode is disabled (then required), presented as `x-api-key` or ' +
      '`authorization: Bearer <key>`. Split at the last `=`; duplicates: last wins. Ignored, with a warning, in mtls mode.' }),
  variable({ name: 'TOKEN_ENGINE_TLS_CERT_FILE', type: path, required: 'mtls', onInvalid: 'fatal',
    description: 'PEM server certificate (chain). Read at start; problems stop the start.' }),
  variable({ name: 'TOKEN_ENGINE_TLS_KEY_FILE', type: path, required: 'mtls', onInvalid: 'fatal',
    description: 'PEM private key of the server certificate: unencrypted, matching the certificate. Read at start.' }),
  variable({ name: 'TOKEN_ENGINE_TLS_CA_FILE', type: path, required: 'mtls', onInvalid: 'fatal',
    description: 'PEM CA that client certificates must chain to. Read at start.' }),
  variable({ name: 'TOKEN_ENGINE_CALLER_REGISTRY_PATH', field: 'callerRegistryPath', type: path,
    required: 'mtls', onInvalid: 'fatal',
    description: 'Caller registry YAML (which caller may use which tenant), read once at start. ' +
      'Optional when TLS mode is disabled: then every caller is allowed.' }),
  variable({ name: 'TOKEN_ENGINE_GRPC_ADDR', field: 'grpcAddr', type: listenAddress,
    default: { host: ANY_HOST, port: 9090 }, onInvalid: 'fatal',
    description: `gRPC listen address; an empty host listens on all IPv4 interfaces (${ANY_HOST}).` }),
  variable({ name: 'TOKEN_ENGINE_HTTP_ADDR', field: 'httpAddr', type: listenAddress,
    default: { host: ANY_HOST, port: 8080 }, onInvalid: 'fatal',
    description: `HTTP listen address (health, JWKS, metrics); an empty host is ${ANY_HOST}.` }),
  variable({ name: 'TOKEN_ENGINE_STORE', field: 'store', type: choice(STORE_KINDS), default: 'redis', onInvalid: 'fatal',
    description: 'redis for production; memory is a single-process store for trying it out.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_URL', type: redisUrl, onInvalid: 'fatal', secret: true,
    description: 'redis[s]://[user[:password]@]host[:port][/db]; wins over REDIS_ADDR, REDIS_PASSWORD and REDIS_DB; ' +
      'rediss enables TLS.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_ADDR', type: hostPort, default: { host: LOCAL_HOST, port: REDIS_PORT }, onInvalid: 'fatal',
    description: 'Redis server; ignored when TOKEN_ENGINE_REDIS_URL is set.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_PASSWORD', type: text, onInvalid: 'fatal', secret: true,
    description: 'Redis password; ignored when TOKEN_ENGINE_REDIS_URL is set.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_DB', type: intAtLeast(0), default: 0, onInvalid: 'warn',
    description: 'Redis database number; ignored when TOKEN_ENGINE_REDIS_URL is set.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_CLUSTER_NODES', type: hostPortList, onInvalid: 'fatal',
    description: 'Redis Cluster seed nodes; enables cluster mode.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_SENTINELS', type: hostPortList, onInvalid: 'fatal',
    description: 'Redis Sentinel addresses; enables Sentinel mode (needs REDIS_SENTINEL_MASTER).' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_SENTINEL_MASTER', type: text, onInvalid: 'fatal',
    description: 'Sentinel master group name; required when REDIS_SENTINELS is set.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_SENTINEL_USERNAME', type: text, onInvalid: 'fatal',
    description: 'ACL user the Sentinels are logged in as (Redis 6.2+); unset: the Sentinels\' `requirepass` alone.' }),
  variable({ name: 'TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD', type: text, onInvalid: 'fatal', secret: true,
    description: 'Password of the Sentinels (their `requirepass`, or the ACL user\'s); the Redis password ' +
      '(REDIS_PASSWORD or the URL) is separate. With a rediss:// URL the Sentinels are reached over TLS too.' }),
  variable({ name: 'TOKEN_ENGINE_KEY_ENCRYPTION_KEY', field: 'keyEncryptionKey', type: key32, onInvalid: 'fatal', secret: true,
    description: 'Encrypts private signing keys at rest (e.g. `openssl rand -base64 32`); ' +
      'a warning when unset with the Redis store.' }),
  variable({ name: 'TOKEN_ENGINE_SIGNING_ALG', field: 'signingAlg', type: choice(SIGNING_ALGS),
    default: DEFAULT_SIGNING_ALG, onInvalid: 'warn',
    description: 'Algorithm of newly generated signing keys (RS256 is RSA-2048, EdDSA is Ed25519); ' +
      "a tenant's `signing_alg` overrides it. Existing keys keep theirs until rotated." }),
  variable({ name: 'TOKEN_ENGINE_SIGNER', field: 'signer', type: choice(SIGNER_KINDS), default: 'sealed', onInvalid: 'fatal',
    description: 'Where private signing keys live: sealed (in the shared store, sealed under TOKEN_ENGINE_KEY_ENCRYPTION_KEY) ' +
      'or pkcs11 (generated and used inside a PKCS#11 token; the store holds only public keys and the schedule).' }),
  variable({ name: 'TOKEN_ENGINE_PKCS11_MODULE', type: path, onInvalid: 'fatal',
    description: 'PKCS#11 library of the HSM, cloud HSM or KMS (e.g. `/usr/lib/softhsm/libsofthsm2.so`); ' +
      'required when TOKEN_ENGINE_SIGNER is pkcs11.' }),
  variable({ name: 'TOKEN_ENGINE_PKCS11_TOKEN_LABEL', type: text, onInvalid: 'fatal',
    description: 'Label of the token that holds the signing keys; every replica uses the same token. ' +
      'Required when TOKEN_ENGINE_SIGNER is pkcs11.' }),
  variable({ name: 'TOKEN_ENGINE_PKCS11_PIN', type: text, onInvalid: 'fatal', secret: true,
    description: "The token's user PIN; required when TOKEN_ENGINE_SIGNER is pkcs11. A wrong PIN stops the start." }),
  variable({ name: 'TOKEN_ENGINE_PKCS11_SESSIONS', type: intAtLeast(1), default: 2, onInvalid: 'warn',
    description: 'Logged-in token sessions, each signing one token at a time on a libuv thread; ' +
      'keep it below UV_THREADPOOL_SIZE (default 4) so a hung HSM cannot hold every pool thread.' }),
  variable({ name: 'TOKEN_ENGINE_TENANTS_PATH', field: 'tenantsPath', type: path, onInvalid: 'fatal',
    description: 'YAML file of additional tenants, read at start (problems stop the start) and on SIGHUP.' }),
  variable({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', field: 'otlpEndpoint', type: otlpEndpoint, onInvalid: 'fatal',
    description: 'OTLP trace collector: `host:port` or `http://host:port` (plaintext), `https://host:port` (TLS). ' +
      'Unset, and no `OTEL_TRACES_EXPORTER`: no tracing. The other standard `OTEL_*` variables (sampler, protocol, ' +
      'headers, resource, batching) are read by the OpenTelemetry SDK (doc/OPERATIONS.md, "Logs and traces").' }),
  variable({ name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', type: otlpEndpoint, onInvalid: 'fatal',
    description: 'Like OTEL_EXPORTER_OTLP_ENDPOINT, for traces only; wins over it.' }),
  variable({ name: 'TOKEN_ENGINE_IDEMPOTENCY_TTL', field: 'idempotencyTtlMs', type: duration,
    default: 24 * HOUR, onInvalid: 'warn',
    description: 'How long a completed idempotent response is replayed.' }),
  variable({ name: 'TOKEN_ENGINE_REFRESH_REPLAY_WINDOW', field: 'refreshReplayWindowMs', type: duration,
    default: 5 * MINUTE, onInvalid: 'warn',
    description: 'How long a completed idempotent RefreshToken response is replayed (at most TOKEN_ENGINE_IDEMPOTENCY_TTL); ' +
      'after it the key is forgotten and a retry presents the already-rotated refresh token again: reuse, PERMISSION_DENIED.' }),
  variable({ name: 'TOKEN_ENGINE_MAX_CONNECTION_AGE', field: 'maxConnectionAgeMs', type: duration,
    default: 30 * MINUTE, onInvalid: 'warn',
    description: 'gRPC connections are asked to reconnect after this age (load spreading).' }),
  variable({ name: 'TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE', field: 'maxConnectionAgeGraceMs', type: duration,
    default: 5 * MINUTE, onInvalid: 'warn',
    description: 'Time given to in-flight calls after MAX_CONNECTION_AGE.' }),
  variable({ name: 'TOKEN_ENGINE_JWKS_CACHE_MAX_AGE', field: 'jwksCacheMaxAgeMs', type: duration,
    default: 5 * MINUTE, onInvalid: 'warn',
    description: 'Cache-Control max-age of the JWKS (whole seconds); ' +
      'also how far ahead of use a new signing key is published.' }),
  variable({ name: 'TOKEN_ENGINE_LOCK_TTL', field: 'lockTtlMs', type: duration, default: 30 * SECOND, onInvalid: 'warn',
    description: 'TTL of pending idempotency claims and of the per-tenant key-rotation lock.' }),
  variable({ name: 'TOKEN_ENGINE_RECONCILIATION_INTERVAL', field: 'reconciliationIntervalMs', type: duration,
    default: 5 * MINUTE, onInvalid: 'warn',
    description: 'Period of the reconciler; readiness fails after twice this without a completed run.' }),
  variable({ name: 'TOKEN_ENGINE_ROTATION_WINDOW_GUARD', field: 'rotationWindowGuardMs', type: duration,
    default: MINUTE, onInvalid: 'warn',
    description: 'Minimum time between two scheduled new signing keys of a tenant.' }),
  variable({ name: 'TOKEN_ENGINE_ACCESS_TOKEN_TTL', field: 'accessTokenTtlMs', type: duration,
    default: 15 * MINUTE, onInvalid: 'warn',
    description: 'Access token lifetime (tenants may override); must be shorter than the refresh token lifetime, ' +
      'else both defaults are used.' }),
  variable({ name: 'TOKEN_ENGINE_REFRESH_TOKEN_TTL', field: 'refreshTokenTtlMs', type: duration,
    default: 720 * HOUR, onInvalid: 'warn',
    description: 'Refresh token lifetime (30 days), counted from each issue or rotation (tenants may override).' }),
  variable({ name: 'TOKEN_ENGINE_MAX_FAMILIES_PER_USER', field: 'maxFamiliesPerUser', type: intBetween(1, 100_000),
    default: 100, onInvalid: 'warn',
    description: 'Live refresh-token families (sessions: one per IssueToken, kept by its refreshes) one user of a tenant ' +
      'may hold. IssueToken beyond it revokes the user\'s family that would expire first, in the same atomic step.' }),
  variable({ name: 'TOKEN_ENGINE_KEY_ROTATION_INTERVAL', field: 'keyRotationIntervalMs', type: duration,
    default: 720 * HOUR, onInvalid: 'warn',
    description: 'How long a signing key signs before its successor takes over (30 days).' }),
  variable({ name: 'TOKEN_ENGINE_LOG_LEVEL', field: 'logLevel',
    type: choice(LOG_LEVELS, { expected: `one of ${LOG_LEVELS.join(', ')}`, ignoreCase: true }),
    default: 'info', onInvalid: 'warn',
    description: 'Minimum log level (any case).' }),
  variable({ name: 'TOKEN_ENGINE_GRPC_REFLECTION', field: 'grpcReflection', type: bool,
    default: new DerivedDefault('true when TLS mode is disabled, else false', (v) => v['TOKEN_ENGINE_TLS_MODE'] === 'disabled'),
    onInvalid: 'warn',
    description: 'Serve gRPC server reflection.' }),
  variable({ name: 'TOKEN_ENGINE_RATE_LIMIT_PER_SECOND', field: 'rateLimitPerSecond',
    type: callRate(MIN_RATE_PER_SECOND, MAX_RATE_PER_SECOND), default: 0, onInvalid: 'fatal',
    description: 'Calls per second each caller may make when its caller-registry entry sets no `rate_limit` (with TLS ' +
      'disabled and no registry: every static-key caller); 0 = unlimited. Counted per caller identity over every tenant ' +
      'and replica; over it, calls answer RESOURCE_EXHAUSTED with `retry-after-ms`.' }),
  variable({ name: 'TOKEN_ENGINE_RATE_LIMIT_BURST', field: 'rateLimitBurst', type: intBetween(1, MAX_BURST),
    default: new DerivedDefault('the per-second rate rounded up, at least 1', (v) => {
      const perSecond = v['TOKEN_ENGINE_RATE_LIMIT_PER_SECOND'];
      return defaultBurst(typeof perSecond === 'number' ? perSecond : 0);
    }),
    onInvalid: 'fatal',
    description: 'Calls a caller under the default rate limit may make at once, before the per-second rate applies.' }),
  variable({ name: 'TOKEN_ENGINE_EXT_AUTHZ', field: 'extAuthz', type: bool, default: false, onInvalid: 'warn',
    description: 'Serve Envoy\'s external authorization (`envoy.service.auth.v3.Authorization/Check`) on the gRPC port: ' +
      'access tokens checked like ValidateToken (doc/OPERATIONS.md, "Envoy and Istio").' }),
  variable({ name: 'TOKEN_ENGINE_DPOP_ALGS', field: 'dpopAlgs', type: choiceList(DPOP_SUPPORTED_ALGS),
    default: DPOP_DEFAULT_ALGS, onInvalid: 'fatal',
    description: 'JWS algorithms a DPoP proof may be signed with (RFC 9449); asymmetric only, so `none` and HMAC ' +
      'proofs are always refused.' }),
  variable({ name: 'TOKEN_ENGINE_DPOP_IAT_WINDOW', field: 'dpopIatWindowMs', type: duration, default: 60 * SECOND,
    onInvalid: 'warn',
    description: 'How far a DPoP proof\'s `iat` may be from the server\'s clock, each way; a proof\'s `jti` is ' +
      'remembered for twice this (doc/OPERATIONS.md, "DPoP").' }),
  variable({ name: 'TOKEN_ENGINE_DPOP_NONCE', field: 'dpopNonce', type: bool, default: false, onInvalid: 'warn',
    description: 'Require server nonces in DPoP proofs: stateless, derived from TOKEN_ENGINE_KEY_ENCRYPTION_KEY so every ' +
      'replica accepts them; refusals carry the nonce to use in the `dpop-nonce` header.' }),
  variable({ name: 'TOKEN_ENGINE_API_KEY_PEPPER', field: 'apiKeyPepper', type: key32, onInvalid: 'fatal', secret: true,
    description: 'Keys the HMAC-SHA-256 under which API-key secrets are stored (e.g. `openssl rand -base64 32`); the same on ' +
      'every replica, never in Redis. Unset: derived from TOKEN_ENGINE_KEY_ENCRYPTION_KEY; with the Redis store and neither ' +
      'set, the API-key RPCs are off (FAILED_PRECONDITION). Changing it invalidates every API key.' }),
  variable({ name: 'TOKEN_ENGINE_API_KEY_TOKEN_TTL', field: 'apiKeyTokenTtlMs', type: duration, default: 5 * MINUTE,
    onInvalid: 'warn',
    description: 'Lifetime of an access token minted by ExchangeApiKey (tenants may override with `api_key_token_ttl`); ' +
      "never longer than the tenant's access-token lifetime." }),
  variable({ name: 'TOKEN_ENGINE_API_KEYS_PER_OWNER', field: 'apiKeysPerOwner', type: intBetween(1, 100_000), default: 100,
    onInvalid: 'warn',
    description: 'Live (unexpired, unrevoked) API keys one owner may hold per tenant; CreateApiKey beyond it is ' +
      'RESOURCE_EXHAUSTED.' }),
  variable({ name: 'TOKEN_ENGINE_API_KEY_MAX_LIFETIME', field: 'apiKeyMaxLifetimeMs', type: duration,
    default: 876_000 * HOUR, onInvalid: 'warn',
    description: 'Longest `expires_in` CreateApiKey accepts (default 100 years); `expires_in` 0 (a key that never ' +
      'expires) is always accepted.' }),
  variable({ name: 'TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX', field: 'backfillExpiryIndex', type: bool,
    default: false, onInvalid: 'warn',
    description: 'Accepted for compatibility with the Go token-engine; no effect (there is no expiry index to backfill).' }),
  variable({ name: 'TOKEN_ENGINE_WORKERS', field: 'workers', type: intAtLeast(1), default: 1, onInvalid: 'warn',
    description: 'Number of processes serving the same ports on this host (`node:cluster`); ' +
      'ignored, with a warning, with the memory store.' }),
  variable({ name: 'TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE', type: removed('upstream in v1.1.0'), onInvalid: 'warn',
    description: 'Removed from the Go token-engine in v1.1.0; ignored with a warning.' }),
] as const;

/** One entry of {@link VARIABLES}. */
export type TableEntry = (typeof VARIABLES)[number];

/** Name of a variable of {@link VARIABLES}. */
export type VariableName = TableEntry['name'];

/** The loaded value of every variable, by name. */
export type Values = { -readonly [E in TableEntry as E['name']]: ValueOf<E> };

/** The Config fields filled straight from one variable each. */
export type FieldValues = { [E in TableEntry as E['field'] & keyof Config]: ValueOf<E> };

/** Every environment variable the service reads, as documented: the single source of names. */
export const ENV_VARIABLES: readonly EnvVariable[] = Object.freeze(VARIABLES.map(describeVariable));

/** Every name the service knows, `<NAME>_FILE` of each secret included. */
export const KNOWN_NAMES: ReadonlySet<string> = new Set(
  VARIABLES.flatMap((v) => (v.secret ? [v.name, fileVariable(v.name)] : [v.name])),
);

/**
 * Environment → frozen {@link Config}. Parsed once at start-up; every fatal problem is
 * collected into one {@link ConfigError}; invalid optional values fall back to their default
 * with a warning string (the caller logs them). Names, defaults and severities follow
 * upstream (doc: spec reference §8) plus the additions in spec README §6.
 */
import { otlpEndpointUrl } from '../observability/otlp-config.js';
import * as z from 'zod';
import { DEFAULT_SIGNING_ALG, describeSigningAlgs, SIGNING_ALGS, type SigningAlg } from '../keys/algorithms.js';
import { formatDuration, parseDuration } from './duration.js';

/** How a variable is described in {@link ENV_VARIABLES} (and in the README table). */
export interface EnvVariable {
  readonly name: string;
  readonly type: string;
  /** Default as written in the environment; null when there is none. */
  readonly default: string | null;
  readonly required: 'always' | 'mtls' | 'no';
  /**
   * What an invalid value does: stop the start (here, or when start-up first uses it, as
   * for file paths and secrets), or warn and use the default.
   */
  readonly onInvalid: 'fatal' | 'warn';
  readonly description: string;
}

const VARIABLES = [
  {
    name: 'TOKEN_ENGINE_ISSUER',
    type: 'string',
    default: null,
    required: 'always',
    onInvalid: 'fatal',
    description: 'JWT `iss` of the default tenant; also its tenant id and data namespace.',
  },
  {
    name: 'TOKEN_ENGINE_AUDIENCE',
    type: 'string',
    default: null,
    required: 'always',
    onInvalid: 'fatal',
    description: 'JWT `aud` used when a request names no audiences.',
  },
  {
    name: 'TOKEN_ENGINE_TLS_MODE',
    type: "'mtls' | 'disabled'",
    default: 'mtls',
    required: 'no',
    onInvalid: 'fatal',
    description: 'mtls: TLS 1.3 with client certificates; disabled: plaintext with static API keys.',
  },
  {
    name: 'TOKEN_ENGINE_STATIC_CALLER_KEYS',
    type: 'key=identity[,key=identity…]',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description:
      'API keys accepted when TLS mode is disabled (then required). Split at the last `=`; duplicates: last wins. Secret.',
  },
  {
    name: 'TOKEN_ENGINE_TLS_CERT_FILE',
    type: 'path',
    default: null,
    required: 'mtls',
    onInvalid: 'fatal',
    description: 'PEM server certificate (chain).',
  },
  {
    name: 'TOKEN_ENGINE_TLS_KEY_FILE',
    type: 'path',
    default: null,
    required: 'mtls',
    onInvalid: 'fatal',
    description: 'PEM private key of the server certificate.',
  },
  {
    name: 'TOKEN_ENGINE_TLS_CA_FILE',
    type: 'path',
    default: null,
    required: 'mtls',
    onInvalid: 'fatal',
    description: 'PEM CA that client certificates must chain to.',
  },
  {
    name: 'TOKEN_ENGINE_CALLER_REGISTRY_PATH',
    type: 'path',
    default: null,
    required: 'mtls',
    onInvalid: 'fatal',
    description:
      'Caller registry YAML (which caller may use which tenant). Optional when TLS mode is disabled: then every caller is allowed.',
  },
  {
    name: 'TOKEN_ENGINE_GRPC_ADDR',
    type: 'host:port',
    default: ':9090',
    required: 'no',
    onInvalid: 'fatal',
    description: 'gRPC listen address; an empty host listens on all interfaces.',
  },
  {
    name: 'TOKEN_ENGINE_HTTP_ADDR',
    type: 'host:port',
    default: ':8080',
    required: 'no',
    onInvalid: 'fatal',
    description: 'HTTP listen address (health, JWKS, metrics).',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    type: 'url',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description: 'OTLP trace exporter endpoint; unset means no tracing export.',
  },
  {
    name: 'TOKEN_ENGINE_IDEMPOTENCY_TTL',
    type: 'duration',
    default: '24h',
    required: 'no',
    onInvalid: 'warn',
    description: 'How long a completed idempotent response is replayed.',
  },
  {
    name: 'TOKEN_ENGINE_MAX_CONNECTION_AGE',
    type: 'duration',
    default: '30m',
    required: 'no',
    onInvalid: 'warn',
    description: 'gRPC connections are asked to reconnect after this age (load spreading).',
  },
  {
    name: 'TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE',
    type: 'duration',
    default: '5m',
    required: 'no',
    onInvalid: 'warn',
    description: 'Time given to in-flight calls after MAX_CONNECTION_AGE.',
  },
  {
    name: 'TOKEN_ENGINE_JWKS_CACHE_MAX_AGE',
    type: 'duration',
    default: '5m',
    required: 'no',
    onInvalid: 'warn',
    description: 'Cache-Control max-age of the JWKS (whole seconds).',
  },
  {
    name: 'TOKEN_ENGINE_LOCK_TTL',
    type: 'duration',
    default: '30s',
    required: 'no',
    onInvalid: 'warn',
    description: 'TTL of distributed job locks and of pending idempotency claims.',
  },
  {
    name: 'TOKEN_ENGINE_RECONCILIATION_INTERVAL',
    type: 'duration',
    default: '5m',
    required: 'no',
    onInvalid: 'warn',
    description: 'Period of the reconciler; readiness fails after twice this without a run.',
  },
  {
    name: 'TOKEN_ENGINE_ROTATION_WINDOW_GUARD',
    type: 'duration',
    default: '1m',
    required: 'no',
    onInvalid: 'warn',
    description: 'Minimum time between two key rotations of a tenant.',
  },
  {
    name: 'TOKEN_ENGINE_ACCESS_TOKEN_TTL',
    type: 'duration',
    default: '15m',
    required: 'no',
    onInvalid: 'warn',
    description: 'Access token lifetime; must be shorter than the refresh token lifetime.',
  },
  {
    name: 'TOKEN_ENGINE_REFRESH_TOKEN_TTL',
    type: 'duration',
    default: '720h',
    required: 'no',
    onInvalid: 'warn',
    description: 'Refresh token lifetime (30 days).',
  },
  {
    name: 'TOKEN_ENGINE_KEY_ROTATION_INTERVAL',
    type: 'duration',
    default: '720h',
    required: 'no',
    onInvalid: 'warn',
    description: 'Age at which a signing key is replaced (30 days).',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_ADDR',
    type: 'host:port',
    default: 'localhost:6379',
    required: 'no',
    onInvalid: 'fatal',
    description: 'Redis server; ignored when TOKEN_ENGINE_REDIS_URL is set.',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_PASSWORD',
    type: 'string',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description: 'Redis password; ignored when TOKEN_ENGINE_REDIS_URL is set. Secret.',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_DB',
    type: 'int ≥ 0',
    default: '0',
    required: 'no',
    onInvalid: 'warn',
    description: 'Redis database number; ignored when TOKEN_ENGINE_REDIS_URL is set.',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_URL',
    type: 'redis:// or rediss:// URL',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description:
      'redis[s]://[user[:password]@]host[:port][/db]; wins over REDIS_ADDR, REDIS_PASSWORD and REDIS_DB; rediss enables TLS. Secret when it holds a password.',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_CLUSTER_NODES',
    type: 'host:port[,host:port…]',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description: 'Redis Cluster seed nodes; enables cluster mode.',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_SENTINELS',
    type: 'host:port[,host:port…]',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description: 'Redis Sentinel addresses; enables Sentinel mode (needs REDIS_SENTINEL_MASTER).',
  },
  {
    name: 'TOKEN_ENGINE_REDIS_SENTINEL_MASTER',
    type: 'string',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description: 'Sentinel master group name; required when REDIS_SENTINELS is set.',
  },
  {
    name: 'TOKEN_ENGINE_STORE',
    type: "'redis' | 'memory'",
    default: 'redis',
    required: 'no',
    onInvalid: 'fatal',
    description: 'redis for production; memory is a single-process store for trying it out.',
  },
  {
    name: 'TOKEN_ENGINE_SIGNING_ALG',
    type: "'RS256' | 'ES256' | 'EdDSA'",
    default: 'RS256',
    required: 'no',
    onInvalid: 'warn',
    description: 'Algorithm of newly generated signing keys.',
  },
  {
    name: 'TOKEN_ENGINE_KEY_ENCRYPTION_KEY',
    type: 'base64 (32 bytes)',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description:
      'Encrypts private signing keys at rest (e.g. `openssl rand -base64 32`); a warning when unset with Redis. Secret.',
  },
  {
    name: 'TOKEN_ENGINE_TENANTS_PATH',
    type: 'path',
    default: null,
    required: 'no',
    onInvalid: 'fatal',
    description: 'YAML file of additional tenants.',
  },
  {
    name: 'TOKEN_ENGINE_LOG_LEVEL',
    type: "'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'",
    default: 'info',
    required: 'no',
    onInvalid: 'warn',
    description: 'Minimum log level.',
  },
  {
    name: 'TOKEN_ENGINE_GRPC_REFLECTION',
    type: 'bool',
    default: 'true when TLS mode is disabled, else false',
    required: 'no',
    onInvalid: 'warn',
    description: 'Serve gRPC server reflection.',
  },
  {
    name: 'TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX',
    type: 'bool',
    default: 'false',
    required: 'no',
    onInvalid: 'warn',
    description: 'Accepted for compatibility with upstream.',
  },
  {
    name: 'TOKEN_ENGINE_WORKERS',
    type: 'int ≥ 1',
    default: '1',
    required: 'no',
    onInvalid: 'warn',
    description: 'Number of worker processes.',
  },
  {
    name: 'TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE',
    type: 'int',
    default: null,
    required: 'no',
    onInvalid: 'warn',
    description: 'Removed upstream in v1.1.0; ignored with a warning.',
  },
] as const satisfies readonly EnvVariable[];

/** Every environment variable the service reads: the single source of names. */
export const ENV_VARIABLES: readonly EnvVariable[] = Object.freeze(VARIABLES.map((v) => Object.freeze({ ...v })));

/** Name of a variable listed in {@link ENV_VARIABLES}. */
export type EnvVariableName = (typeof VARIABLES)[number]['name'];

const KNOWN_NAMES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));

/** `mtls`: client certificates; `disabled`: plaintext with static API keys. */
export type TlsMode = 'mtls' | 'disabled';
/** Which store implementation app.ts builds. */
export type StoreKind = 'redis' | 'memory';
/** pino level names. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A parsed network address; IPv6 hosts without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One shape for every way of naming Redis (ADDR/PASSWORD/DB or URL). */
export interface RedisConfig {
  /** The URL as given, when TOKEN_ENGINE_REDIS_URL is set (secret: may hold a password). */
  readonly url?: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  /** rediss:// */
  readonly tls: boolean;
  readonly clusterNodes?: readonly HostPort[];
  readonly sentinels?: readonly HostPort[];
  readonly sentinelMaster?: string;
}

/** Certificate files for `mtls`; only presence is checked here. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/**
 * The validated, frozen configuration. Durations are milliseconds. Secret fields
 * (`staticCallerKeys`, `redis.password`, `redis.url`, `keyEncryptionKey`) need redaction
 * wherever the object might be logged; `staticCallerKeys` serialises as `{}`.
 */
export interface Config {
  readonly issuer: string;
  readonly audience: string;
  readonly tlsMode: TlsMode;
  /** API key → caller identity. */
  readonly staticCallerKeys: ReadonlyMap<string, string>;
  /** Present exactly when tlsMode is `mtls`. */
  readonly tls?: TlsFiles;
  readonly callerRegistryPath?: string;
  readonly grpcAddr: HostPort;
  readonly httpAddr: HostPort;
  readonly otlpEndpoint?: string;
  readonly idempotencyTtlMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly lockTtlMs: number;
  readonly reconciliationIntervalMs: number;
  readonly rotationWindowGuardMs: number;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly keyRotationIntervalMs: number;
  readonly redis: RedisConfig;
  readonly store: StoreKind;
  readonly signingAlg: SigningAlg;
  /** 32 bytes. A Buffer cannot be frozen: treat it as read-only. */
  readonly keyEncryptionKey?: Buffer;
  readonly tenantsPath?: string;
  readonly logLevel: LogLevel;
  readonly grpcReflection: boolean;
  readonly backfillExpiryIndex: boolean;
  readonly workers: number;
}

/** Thrown by {@link loadConfig} with every fatal problem; never contains a secret. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(['invalid configuration:', ...problems.map((p) => `  - ${p}`)].join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

/** A Map that cannot be changed after construction (Object.freeze does not stop Map.set). */
class FrozenMap<K, V> implements ReadonlyMap<K, V> {
  readonly #map: Map<K, V>;
  constructor(entries: Iterable<readonly [K, V]>) {
    this.#map = new Map(entries);
  }
  get size(): number {
    return this.#map.size;
  }
  get(key: K): V | undefined {
    return this.#map.get(key);
  }
  has(key: K): boolean {
    return this.#map.has(key);
  }
  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.#map) callback.call(thisArg, value, key, this);
  }
  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }
  keys(): MapIterator<K> {
    return this.#map.keys();
  }
  values(): MapIterator<V> {
    return this.#map.values();
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }
}

const DEFAULT_REDIS_PORT = 6379;
const LISTEN_ANY_HOST = '0.0.0.0';
const ADDRESS_FORMS = 'host:port, :port or [ipv6]:port';

const TlsModeSchema = z.enum(['mtls', 'disabled']);
const StoreSchema = z.enum(['redis', 'memory']);
const SigningAlgSchema = z.enum(SIGNING_ALGS);
const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
// Go's strconv.ParseBool also takes t/f; kept so upstream values still work.
const BoolSchema = z.stringbool({
  truthy: ['true', '1', 'yes', 't'],
  falsy: ['false', '0', 'no', 'f'],
  case: 'insensitive',
});
const intAtLeast = (min: number): z.ZodType<number> =>
  z
    .string()
    .regex(/^[+-]?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(Number.MAX_SAFE_INTEGER));
const NonNegativeIntSchema = intAtLeast(0);
const PositiveIntSchema = intAtLeast(1);

/**
 * Splits `host:port`, `:port` or `[ipv6]:port`. Returns undefined when it cannot be a
 * usable address; port 0 only when `allowPortZero` (listeners bound by tests).
 */
function parseHostPort(value: string, emptyHost: string, allowPortZero: boolean): HostPort | undefined {
  let host: string;
  let portText: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0 || value[end + 1] !== ':') return undefined;
    host = value.slice(1, end);
    portText = value.slice(end + 2);
    if (!host.includes(':')) return undefined;
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    // An IPv6 address needs brackets, or the port is ambiguous.
    if (host.includes(':')) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText) || /[\s/[\]@]/.test(host)) return undefined;
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowPortZero)) return undefined;
  return { host: host === '' ? emptyHost : host, port };
}

type RedisTarget = Pick<RedisConfig, 'host' | 'port' | 'username' | 'password' | 'db' | 'tls'>;

/**
 * Parses a redis:// or rediss:// URL. Problems never quote the URL: it may hold a password.
 */
function parseRedisUrl(value: string): RedisTarget | string {
  const name = 'TOKEN_ENGINE_REDIS_URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} is not a valid URL (expected redis[s]://[user[:password]@]host[:port][/db])`;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `${name} must use the redis:// or rediss:// scheme`;
  }
  const port = url.port === '' ? DEFAULT_REDIS_PORT : Number(url.port);
  if (port === 0) return `${name} port must be between 1 and 65535`;
  const dbMatch = /^\/?(\d*)$/.exec(url.pathname);
  if (dbMatch === null) return `${name} path must be a database number, like /0`;
  const db = dbMatch[1] === '' || dbMatch[1] === undefined ? 0 : Number(dbMatch[1]);
  if (!Number.isSafeInteger(db)) return `${name} database number is too large`;
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return `${name} has a malformed percent-encoding in its user or password`;
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host: hostname === '' ? 'localhost' : hostname,
    port,
    ...(username === '' ? {} : { username }),
    ...(password === '' ? {} : { password }),
    db,
    tls: url.protocol === 'rediss:',
  };
}

const BASE64_32 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}=?$/;

/** Decodes exactly 32 bytes of canonical base64 or base64url; undefined otherwise. */
function decodeKey32(value: string): Buffer | undefined {
  const encoding = BASE64_32.test(value) ? 'base64' : BASE64URL_32.test(value) ? 'base64url' : undefined;
  if (encoding === undefined) return undefined;
  const bytes = Buffer.from(value, encoding);
  // Rejects non-zero trailing bits, which Buffer.from would silently drop.
  const canonical = bytes.toString(encoding).replace(/=+$/, '');
  return bytes.length === 32 && canonical === value.replace(/=+$/, '') ? bytes : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const DURATION_DEFAULTS: ReadonlyMap<string, number> = new Map(
  VARIABLES.filter((v) => v.type === 'duration').map((v) => {
    const ms = parseDuration(v.default);
    if (ms === undefined) throw new Error(`bad default duration for ${v.name}`);
    return [v.name, ms];
  }),
);

/**
 * Builds the configuration from an environment map (usually `process.env`, passed in by
 * `main.ts`). Empty and whitespace-only values count as unset.
 *
 * @returns the frozen config and the warnings to log (invalid optional values that fell
 *   back to their default, ignored variables).
 * @throws ConfigError listing every fatal problem.
 */
export function loadConfig(env: Record<string, string | undefined>): {
  config: Config;
  warnings: string[];
} {
  const problems: string[] = [];
  const warnings: string[] = [];

  const read = (name: EnvVariableName): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };

  const duration = (name: EnvVariableName): number => {
    const fallback = DURATION_DEFAULTS.get(name);
    if (fallback === undefined) throw new Error(`${name} is not a duration variable`);
    const text = read(name);
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
      warnings.push(
        `${name}: cannot parse ${JSON.stringify(text)} as a duration (e.g. 300ms, 5m, 1h30m); using default ${formatDuration(fallback)}`,
      );
      return fallback;
    }
    if (ms <= 0) {
      warnings.push(`${name} must be positive, got ${JSON.stringify(text)}; using default ${formatDuration(fallback)}`);
      return fallback;
    }
    return ms;
  };

  /** A value that falls back to its default with a warning; never use it for a secret. */
  const optional = <T>(name: EnvVariableName, schema: z.ZodType<T>, fallback: T, expected: string): T => {
    const text = read(name);
    if (text === undefined) return fallback;
    const parsed = schema.safeParse(text);
    if (parsed.success) return parsed.data;
    warnings.push(`${name} must be ${expected}, got ${JSON.stringify(text)}; using default ${String(fallback)}`);
    return fallback;
  };

  const hostPortList = (name: EnvVariableName): HostPort[] | undefined => {
    const text = read(name);
    if (text === undefined) return undefined;
    const entries = text
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (entries.length === 0) problems.push(`${name} must list at least one host:port`);
    const nodes: HostPort[] = [];
    for (const entry of entries) {
      const node = parseHostPort(entry, 'localhost', false);
      if (node === undefined) {
        problems.push(`${name} entry ${JSON.stringify(entry)} must be host:port or [ipv6]:port`);
      } else {
        nodes.push(node);
      }
    }
    return nodes;
  };

  // Fatal checks first, in upstream order: issuer, audience, TLS mode, static keys, TLS files.
  const issuer = read('TOKEN_ENGINE_ISSUER');
  if (issuer === undefined) problems.push('TOKEN_ENGINE_ISSUER must not be empty');
  const audience = read('TOKEN_ENGINE_AUDIENCE');
  if (audience === undefined) problems.push('TOKEN_ENGINE_AUDIENCE must not be empty');

  const tlsModeText = read('TOKEN_ENGINE_TLS_MODE');
  const tlsModeParsed = TlsModeSchema.safeParse(tlsModeText ?? 'mtls');
  const tlsMode = tlsModeParsed.success ? tlsModeParsed.data : undefined;
  if (tlsMode === undefined) problems.push("TOKEN_ENGINE_TLS_MODE must be 'mtls' or 'disabled'");

  // The pairs hold secrets: problems name a pair by position only.
  const staticCallerKeys = new Map<string, string>();
  const keysText = read('TOKEN_ENGINE_STATIC_CALLER_KEYS');
  if (keysText !== undefined) {
    const pairs = keysText.split(',');
    pairs.forEach((pair, index) => {
      const at = pair.lastIndexOf('=');
      const key = at < 0 ? '' : pair.slice(0, at);
      const identity = at < 0 ? '' : pair.slice(at + 1);
      const defect =
        at < 0 ? "has no '='" : key === '' ? 'has an empty key' : identity === '' ? 'has an empty identity' : undefined;
      if (defect === undefined) {
        staticCallerKeys.set(key, identity);
      } else {
        problems.push(
          `TOKEN_ENGINE_STATIC_CALLER_KEYS pair ${index + 1} of ${pairs.length} ${defect}: must be 'key1=identity1,key2=identity2'`,
        );
      }
    });
  }
  if (tlsMode === 'disabled' && keysText === undefined) {
    problems.push('TOKEN_ENGINE_STATIC_CALLER_KEYS must not be empty when TLS mode is disabled');
  }
  if (tlsMode === 'mtls' && keysText !== undefined) {
    warnings.push('TOKEN_ENGINE_STATIC_CALLER_KEYS is ignored when TLS mode is mtls');
  }

  const certFile = read('TOKEN_ENGINE_TLS_CERT_FILE');
  const keyFile = read('TOKEN_ENGINE_TLS_KEY_FILE');
  const caFile = read('TOKEN_ENGINE_TLS_CA_FILE');
  const callerRegistryPath = read('TOKEN_ENGINE_CALLER_REGISTRY_PATH');
  const tlsFileVars = [
    ['TOKEN_ENGINE_TLS_CERT_FILE', certFile],
    ['TOKEN_ENGINE_TLS_KEY_FILE', keyFile],
    ['TOKEN_ENGINE_TLS_CA_FILE', caFile],
  ] as const;
  if (tlsMode === 'mtls') {
    for (const [name, value] of [...tlsFileVars, ['TOKEN_ENGINE_CALLER_REGISTRY_PATH', callerRegistryPath] as const]) {
      if (value === undefined) problems.push(`${name} must not be empty when TLS mode is mtls`);
    }
  } else if (tlsMode === 'disabled') {
    for (const [name, value] of tlsFileVars) {
      if (value !== undefined) warnings.push(`${name} is ignored when TLS mode is disabled`);
    }
  }

  const listenAddress = (name: 'TOKEN_ENGINE_GRPC_ADDR' | 'TOKEN_ENGINE_HTTP_ADDR', fallback: string): HostPort => {
    const text = read(name) ?? fallback;
    const addr = parseHostPort(text, LISTEN_ANY_HOST, true);
    if (addr !== undefined) return addr;
    problems.push(`${name} must be ${ADDRESS_FORMS} with a port from 0 to 65535, got ${JSON.stringify(text)}`);
    return { host: LISTEN_ANY_HOST, port: 0 };
  };
  const grpcAddr = listenAddress('TOKEN_ENGINE_GRPC_ADDR', ':9090');
  const httpAddr = listenAddress('TOKEN_ENGINE_HTTP_ADDR', ':8080');

  const storeText = read('TOKEN_ENGINE_STORE');
  const storeParsed = StoreSchema.safeParse(storeText ?? 'redis');
  if (!storeParsed.success) {
    problems.push(`TOKEN_ENGINE_STORE must be 'redis' or 'memory', got ${JSON.stringify(storeText)}`);
  }
  const store: StoreKind = storeParsed.success ? storeParsed.data : 'redis';

  const redis = loadRedis();

  let keyEncryptionKey: Buffer | undefined;
  const kekText = read('TOKEN_ENGINE_KEY_ENCRYPTION_KEY');
  if (kekText !== undefined) {
    keyEncryptionKey = decodeKey32(kekText);
    if (keyEncryptionKey === undefined) {
      problems.push(
        'TOKEN_ENGINE_KEY_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)',
      );
    }
  } else if (store === 'redis') {
    warnings.push('TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted in Redis');
  }

  const otlpText = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otlpText !== undefined && otlpEndpointUrl(otlpText.trim()) === undefined) {
    problems.push('OTEL_EXPORTER_OTLP_ENDPOINT must be host:port, http://host:port or https://host:port');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Narrowing for the compiler: a missing required value always adds a problem above.
  if (issuer === undefined || audience === undefined || tlsMode === undefined) {
    throw new ConfigError(['internal: required value missing without a problem']);
  }

  const durations = {
    idempotencyTtlMs: duration('TOKEN_ENGINE_IDEMPOTENCY_TTL'),
    maxConnectionAgeMs: duration('TOKEN_ENGINE_MAX_CONNECTION_AGE'),
    maxConnectionAgeGraceMs: duration('TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE'),
    jwksCacheMaxAgeMs: duration('TOKEN_ENGINE_JWKS_CACHE_MAX_AGE'),
    lockTtlMs: duration('TOKEN_ENGINE_LOCK_TTL'),
    reconciliationIntervalMs: duration('TOKEN_ENGINE_RECONCILIATION_INTERVAL'),
    rotationWindowGuardMs: duration('TOKEN_ENGINE_ROTATION_WINDOW_GUARD'),
    accessTokenTtlMs: duration('TOKEN_ENGINE_ACCESS_TOKEN_TTL'),
    refreshTokenTtlMs: duration('TOKEN_ENGINE_REFRESH_TOKEN_TTL'),
    keyRotationIntervalMs: duration('TOKEN_ENGINE_KEY_ROTATION_INTERVAL'),
  };
  if (durations.accessTokenTtlMs >= durations.refreshTokenTtlMs) {
    const access = DURATION_DEFAULTS.get('TOKEN_ENGINE_ACCESS_TOKEN_TTL') ?? 0;
    const refresh = DURATION_DEFAULTS.get('TOKEN_ENGINE_REFRESH_TOKEN_TTL') ?? 0;
    warnings.push(
      `TOKEN_ENGINE_ACCESS_TOKEN_TTL (${formatDuration(durations.accessTokenTtlMs)}) must be shorter than TOKEN_ENGINE_REFRESH_TOKEN_TTL (${formatDuration(durations.refreshTokenTtlMs)}); using defaults ${formatDuration(access)} and ${formatDuration(refresh)}`,
    );
    durations.accessTokenTtlMs = access;
    durations.refreshTokenTtlMs = refresh;
  }

  const signingAlg = optional('TOKEN_ENGINE_SIGNING_ALG', SigningAlgSchema, DEFAULT_SIGNING_ALG, describeSigningAlgs("'"));
  const logLevel = optional(
    'TOKEN_ENGINE_LOG_LEVEL',
    z.string().toLowerCase().pipe(LogLevelSchema),
    'info',
    `one of ${LogLevelSchema.options.join(', ')}`,
  );
  const boolExpected = 'true, false, 1, 0, yes or no';
  const grpcReflection = optional('TOKEN_ENGINE_GRPC_REFLECTION', BoolSchema, tlsMode === 'disabled', boolExpected);
  const backfillExpiryIndex = optional('TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX', BoolSchema, false, boolExpected);
  const workers = optional('TOKEN_ENGINE_WORKERS', PositiveIntSchema, 1, 'an integer ≥ 1');

  if (read('TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE') !== undefined) {
    warnings.push('TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE was removed upstream in v1.1.0 and is ignored');
  }
  for (const name of Object.keys(env).sort()) {
    // TOKEN_ENGINE_CLI_* belong to the command-line client, which may share the environment.
    if (name.startsWith('TOKEN_ENGINE_') && !name.startsWith('TOKEN_ENGINE_CLI_') && !KNOWN_NAMES.has(name)) {
      warnings.push(`${name} is not a known variable and is ignored`);
    }
  }

  const otlpEndpoint = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  const tenantsPath = read('TOKEN_ENGINE_TENANTS_PATH');

  const config: Config = {
    issuer,
    audience,
    tlsMode,
    staticCallerKeys: new FrozenMap(staticCallerKeys),
    ...(tlsMode === 'mtls' && certFile !== undefined && keyFile !== undefined && caFile !== undefined
      ? { tls: { certFile, keyFile, caFile } }
      : {}),
    ...(callerRegistryPath === undefined ? {} : { callerRegistryPath }),
    grpcAddr,
    httpAddr,
    ...(otlpEndpoint === undefined ? {} : { otlpEndpoint }),
    ...durations,
    redis,
    store,
    signingAlg,
    ...(keyEncryptionKey === undefined ? {} : { keyEncryptionKey }),
    ...(tenantsPath === undefined ? {} : { tenantsPath }),
    logLevel,
    grpcReflection,
    backfillExpiryIndex,
    workers,
  };
  return { config: deepFreeze(config), warnings };

  function loadRedis(): RedisConfig {
    let target: RedisTarget;
    const url = read('TOKEN_ENGINE_REDIS_URL');
    if (url !== undefined) {
      const parsed = parseRedisUrl(url);
      if (typeof parsed === 'string') {
        problems.push(parsed);
        target = { host: 'localhost', port: DEFAULT_REDIS_PORT, db: 0, tls: false };
      } else {
        target = parsed;
      }
      const ignored = (['TOKEN_ENGINE_REDIS_ADDR', 'TOKEN_ENGINE_REDIS_PASSWORD', 'TOKEN_ENGINE_REDIS_DB'] as const).filter(
        (name) => read(name) !== undefined,
      );
      if (ignored.length > 0) {
        warnings.push(`${ignored.join(', ')} ignored because TOKEN_ENGINE_REDIS_URL is set`);
      }
    } else {
      const addrText = read('TOKEN_ENGINE_REDIS_ADDR') ?? `localhost:${DEFAULT_REDIS_PORT}`;
      let addr = parseHostPort(addrText, 'localhost', false);
      if (addr === undefined) {
        problems.push(`TOKEN_ENGINE_REDIS_ADDR must be host:port or [ipv6]:port, got ${JSON.stringify(addrText)}`);
        addr = { host: 'localhost', port: DEFAULT_REDIS_PORT };
      }
      const password = read('TOKEN_ENGINE_REDIS_PASSWORD');
      // The DB number is never a secret, unlike its neighbours.
      const db = optional('TOKEN_ENGINE_REDIS_DB', NonNegativeIntSchema, 0, 'an integer ≥ 0');
      target = { ...addr, ...(password === undefined ? {} : { password }), db, tls: false };
    }

    const clusterNodes = hostPortList('TOKEN_ENGINE_REDIS_CLUSTER_NODES');
    const sentinels = hostPortList('TOKEN_ENGINE_REDIS_SENTINELS');
    const sentinelMaster = read('TOKEN_ENGINE_REDIS_SENTINEL_MASTER');
    if (clusterNodes !== undefined && sentinels !== undefined) {
      problems.push('TOKEN_ENGINE_REDIS_CLUSTER_NODES and TOKEN_ENGINE_REDIS_SENTINELS cannot both be set');
    }
    if (sentinels !== undefined && sentinelMaster === undefined) {
      problems.push('TOKEN_ENGINE_REDIS_SENTINEL_MASTER must not be empty when TOKEN_ENGINE_REDIS_SENTINELS is set');
    }
    if (sentinels === undefined && sentinelMaster !== undefined) {
      warnings.push('TOKEN_ENGINE_REDIS_SENTINEL_MASTER is ignored because TOKEN_ENGINE_REDIS_SENTINELS is not set');
    }
    const topology =
      clusterNodes !== undefined
        ? 'TOKEN_ENGINE_REDIS_CLUSTER_NODES'
        : sentinels !== undefined
          ? 'TOKEN_ENGINE_REDIS_SENTINELS'
          : undefined;
    if (topology !== undefined && (url !== undefined || read('TOKEN_ENGINE_REDIS_ADDR') !== undefined)) {
      warnings.push(
        `the Redis host and port of TOKEN_ENGINE_REDIS_URL / TOKEN_ENGINE_REDIS_ADDR are ignored because ${topology} is set; credentials, TLS and db still apply`,
      );
    }
    return {
      ...(url === undefined ? {} : { url }),
      ...target,
      ...(clusterNodes === undefined ? {} : { clusterNodes }),
      ...(sentinels === undefined ? {} : { sentinels, ...(sentinelMaster === undefined ? {} : { sentinelMaster }) }),
    };
  }
}

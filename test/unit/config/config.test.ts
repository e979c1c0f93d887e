import { describe, it, expect } from 'vitest';
import { ConfigError, ENV_VARIABLES, loadConfig, type Config } from '../../../src/config/config.js';
import { parseDuration } from '../../../src/config/duration.js';

type Env = Record<string, string | undefined>;

const MTLS: Env = {
  TOKEN_ENGINE_ISSUER: 'https://auth.example.com',
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_CERT_FILE: '/tls/server.crt',
  TOKEN_ENGINE_TLS_KEY_FILE: '/tls/server.key',
  TOKEN_ENGINE_TLS_CA_FILE: '/tls/ca.crt',
  TOKEN_ENGINE_CALLER_REGISTRY_PATH: '/etc/token-engine/callers.yaml',
};

const DISABLED: Env = {
  TOKEN_ENGINE_ISSUER: 'https://auth.example.com',
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: 'key-one=caller-a',
};

// 32 bytes 0x00..0x1f.
const KEK_BYTES = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const KEK = KEK_BYTES.toString('base64');

function load(env: Env): { config: Config; warnings: string[] } {
  return loadConfig(env);
}

/** Runs loadConfig expecting a ConfigError and returns it. */
function fatal(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig did not throw');
}

/** Every text the caller may print: warnings on success, the error message on failure. */
function allMessages(env: Env): string {
  try {
    return load(env).warnings.join('\n');
  } catch (err) {
    return err instanceof ConfigError ? `${err.message}\n${err.problems.join('\n')}` : String(err);
  }
}

describe('loadConfig: required values', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['whitespace', '   '],
  ])('issuer %s is fatal', (_, value) => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_ISSUER: value });
    expect(err.problems).toEqual(['TOKEN_ENGINE_ISSUER must not be empty']);
  });

  it('audience missing is fatal', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_AUDIENCE: '' });
    expect(err.problems).toEqual(['TOKEN_ENGINE_AUDIENCE must not be empty']);
  });

  it.each(['MTLS', 'tls', 'none', 'Disabled'])('TLS mode %j is fatal (case-sensitive)', (mode) => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_TLS_MODE: mode });
    expect(err.problems).toEqual(["TOKEN_ENGINE_TLS_MODE must be 'mtls' or 'disabled'"]);
  });

  it('empty TLS mode means mtls', () => {
    expect(load({ ...MTLS, TOKEN_ENGINE_TLS_MODE: '' }).config.tlsMode).toBe('mtls');
  });

  it.each([
    'TOKEN_ENGINE_TLS_CERT_FILE',
    'TOKEN_ENGINE_TLS_KEY_FILE',
    'TOKEN_ENGINE_TLS_CA_FILE',
    'TOKEN_ENGINE_CALLER_REGISTRY_PATH',
  ])('%s is required in mtls', (name) => {
    const err = fatal({ ...MTLS, [name]: undefined });
    expect(err.problems).toEqual([`${name} must not be empty when TLS mode is mtls`]);
  });

  it('TLS files are not required when TLS is disabled, and are ignored with a warning', () => {
    const { config, warnings } = load({ ...DISABLED, TOKEN_ENGINE_TLS_CERT_FILE: '/x.crt' });
    expect(config.tls).toBeUndefined();
    expect(warnings).toContain('TOKEN_ENGINE_TLS_CERT_FILE is ignored when TLS mode is disabled');
  });

  it('caller registry is optional when TLS is disabled and kept when given', () => {
    expect(load(DISABLED).config.callerRegistryPath).toBeUndefined();
    const { config } = load({ ...DISABLED, TOKEN_ENGINE_CALLER_REGISTRY_PATH: '/callers.yaml' });
    expect(config.callerRegistryPath).toBe('/callers.yaml');
  });

  it('static caller keys are required when TLS is disabled', () => {
    const err = fatal({ ...DISABLED, TOKEN_ENGINE_STATIC_CALLER_KEYS: '' });
    expect(err.problems).toEqual(['TOKEN_ENGINE_STATIC_CALLER_KEYS must not be empty when TLS mode is disabled']);
  });

  it('mtls result carries the TLS file paths', () => {
    const { config } = load(MTLS);
    expect(config.tls).toEqual({
      certFile: '/tls/server.crt',
      keyFile: '/tls/server.key',
      caFile: '/tls/ca.crt',
    });
    expect(config.callerRegistryPath).toBe('/etc/token-engine/callers.yaml');
  });
});

describe('loadConfig: OTLP endpoint', () => {
  const base = {
    TOKEN_ENGINE_ISSUER: 'i',
    TOKEN_ENGINE_AUDIENCE: 'a',
    TOKEN_ENGINE_TLS_MODE: 'disabled',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: 'k=c',
  };
  it('accepts host:port, http:// and https:// endpoints', () => {
    for (const endpoint of ['collector:4317', 'http://collector:4317', 'https://collector.example:4317']) {
      expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).config.otlpEndpoint).toBe(endpoint);
    }
  });
  it('refuses an unusable endpoint with a clear fatal problem', () => {
    for (const endpoint of ['ftp://collector:4317', 'http://', '::::']) {
      expect(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toThrow(
        /OTEL_EXPORTER_OTLP_ENDPOINT must be host:port, http:\/\/host:port or https:\/\/host:port/,
      );
    }
  });
});

describe('loadConfig: static caller keys', () => {
  const keys = (value: string): ReadonlyMap<string, string> =>
    load({ ...DISABLED, TOKEN_ENGINE_STATIC_CALLER_KEYS: value }).config.staticCallerKeys;

  it('splits each pair at the last "=" (base64 padding stays in the key)', () => {
    const map = keys('c2VjcmV0Zm9v===caller-a');
    expect([...map]).toEqual([['c2VjcmV0Zm9v==', 'caller-a']]);
  });

  it('parses several pairs, last duplicate wins, no trimming', () => {
    const map = keys('k1=a,k2=b,k1=c, k3 = d ');
    expect(map.get('k1')).toBe('c');
    expect(map.get('k2')).toBe('b');
    expect(map.get(' k3 ')).toBe(' d ');
    expect(map.size).toBe(3);
  });

  it.each([
    ['SECRETKEYNOEQUALS', "pair 1 of 1 has no '='"],
    ['good=a,SECRETKEYNOEQUALS', "pair 2 of 2 has no '='"],
    ['=caller-a', 'pair 1 of 1 has an empty key'],
    ['SECRETKEY=', 'pair 1 of 1 has an empty identity'],
    ['good=a,', "pair 2 of 2 has no '='"],
  ])('malformed %j is fatal and names the position only', (value, expected) => {
    const err = fatal({ ...DISABLED, TOKEN_ENGINE_STATIC_CALLER_KEYS: value });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(`TOKEN_ENGINE_STATIC_CALLER_KEYS ${expected}`);
    expect(err.message).not.toContain('SECRETKEY');
    expect(err.message).not.toContain('good');
  });

  it('format is checked in mtls too, and set keys are reported as ignored', () => {
    expect(fatal({ ...MTLS, TOKEN_ENGINE_STATIC_CALLER_KEYS: 'nokey' }).problems).toHaveLength(1);
    const { warnings } = load({ ...MTLS, TOKEN_ENGINE_STATIC_CALLER_KEYS: 'SECRETKEY=a' });
    expect(warnings).toContain('TOKEN_ENGINE_STATIC_CALLER_KEYS is ignored when TLS mode is mtls');
    expect(warnings.join('\n')).not.toContain('SECRETKEY');
  });

  it('cannot be changed and does not serialise its secrets', () => {
    const map = keys('SECRETKEY=a');
    expect('set' in map).toBe(false);
    expect('delete' in map).toBe(false);
    expect(JSON.stringify(map)).not.toContain('SECRETKEY');
  });
});

describe('loadConfig: all problems together', () => {
  it('reports every fatal problem in one error, in upstream order first', () => {
    const err = fatal({
      TOKEN_ENGINE_GRPC_ADDR: 'nowhere',
      TOKEN_ENGINE_STORE: 'postgres',
      TOKEN_ENGINE_KEY_ENCRYPTION_KEY: 'too-short',
      TOKEN_ENGINE_REDIS_URL: 'http://cache:6379',
    });
    expect(err.problems).toEqual([
      'TOKEN_ENGINE_ISSUER must not be empty',
      'TOKEN_ENGINE_AUDIENCE must not be empty',
      'TOKEN_ENGINE_TLS_CERT_FILE must not be empty when TLS mode is mtls',
      'TOKEN_ENGINE_TLS_KEY_FILE must not be empty when TLS mode is mtls',
      'TOKEN_ENGINE_TLS_CA_FILE must not be empty when TLS mode is mtls',
      'TOKEN_ENGINE_CALLER_REGISTRY_PATH must not be empty when TLS mode is mtls',
      expect.stringContaining('TOKEN_ENGINE_GRPC_ADDR must be'),
      expect.stringContaining('TOKEN_ENGINE_STORE must be'),
      expect.stringContaining('TOKEN_ENGINE_REDIS_URL must use the redis:// or rediss:// scheme'),
      expect.stringContaining('TOKEN_ENGINE_KEY_ENCRYPTION_KEY must be'),
    ]);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('invalid configuration:');
    expect(lines).toHaveLength(err.problems.length + 1);
    for (const [i, problem] of err.problems.entries()) expect(lines[i + 1]).toContain(problem);
  });

  it('collects TLS-mode, static-key and address problems at once in disabled-ish setups', () => {
    const err = fatal({
      TOKEN_ENGINE_ISSUER: 'i',
      TOKEN_ENGINE_AUDIENCE: 'a',
      TOKEN_ENGINE_TLS_MODE: 'off',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'x',
      TOKEN_ENGINE_HTTP_ADDR: ':70000',
    });
    expect(err.problems).toHaveLength(3);
    expect(err.problems[0]).toContain('TOKEN_ENGINE_TLS_MODE');
    expect(err.problems[1]).toContain('TOKEN_ENGINE_STATIC_CALLER_KEYS pair 1 of 1');
    expect(err.problems[2]).toContain('TOKEN_ENGINE_HTTP_ADDR');
  });

  it('ConfigError is an Error with a frozen problem list', () => {
    const err = new ConfigError(['a', 'b']);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toBe('invalid configuration:\n  - a\n  - b');
    expect(Object.isFrozen(err.problems)).toBe(true);
  });
});

describe('loadConfig: defaults', () => {
  it('fills every default in mtls', () => {
    const { config, warnings } = load(MTLS);
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.audience).toBe('api');
    expect(config.tlsMode).toBe('mtls');
    expect(config.staticCallerKeys.size).toBe(0);
    expect(config.grpcAddr).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.httpAddr).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.otlpEndpoint).toBeUndefined();
    expect(config.idempotencyTtlMs).toBe(24 * 3_600_000);
    expect(config.maxConnectionAgeMs).toBe(30 * 60_000);
    expect(config.maxConnectionAgeGraceMs).toBe(5 * 60_000);
    expect(config.jwksCacheMaxAgeMs).toBe(5 * 60_000);
    expect(config.lockTtlMs).toBe(30_000);
    expect(config.reconciliationIntervalMs).toBe(5 * 60_000);
    expect(config.rotationWindowGuardMs).toBe(60_000);
    expect(config.accessTokenTtlMs).toBe(15 * 60_000);
    expect(config.refreshTokenTtlMs).toBe(30 * 86_400_000);
    expect(config.keyRotationIntervalMs).toBe(30 * 86_400_000);
    expect(config.redis).toEqual({ host: 'localhost', port: 6379, db: 0, tls: false });
    expect(config.store).toBe('redis');
    expect(config.signingAlg).toBe('RS256');
    expect(config.keyEncryptionKey).toBeUndefined();
    expect(config.tenantsPath).toBeUndefined();
    expect(config.logLevel).toBe('info');
    expect(config.grpcReflection).toBe(false);
    expect(config.backfillExpiryIndex).toBe(false);
    expect(config.workers).toBe(1);
    expect(warnings).toEqual([
      'TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted in Redis',
    ]);
  });

  it('turns reflection on by default when TLS is disabled', () => {
    const { config } = load(DISABLED);
    expect(config.grpcReflection).toBe(true);
    expect(config.tls).toBeUndefined();
    expect(config.staticCallerKeys.get('key-one')).toBe('caller-a');
  });

  it('does not warn about the key encryption key with the memory store', () => {
    const { config, warnings } = load({ ...MTLS, TOKEN_ENGINE_STORE: 'memory' });
    expect(config.store).toBe('memory');
    expect(warnings).toEqual([]);
  });

  it('matches the defaults declared in ENV_VARIABLES', () => {
    const { config } = load(MTLS);
    const declared = new Map(ENV_VARIABLES.map((v) => [v.name, v.default]));
    const durationFields: Record<string, number> = {
      TOKEN_ENGINE_IDEMPOTENCY_TTL: config.idempotencyTtlMs,
      TOKEN_ENGINE_REFRESH_REPLAY_WINDOW: config.refreshReplayWindowMs,
      TOKEN_ENGINE_MAX_CONNECTION_AGE: config.maxConnectionAgeMs,
      TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE: config.maxConnectionAgeGraceMs,
      TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: config.jwksCacheMaxAgeMs,
      TOKEN_ENGINE_LOCK_TTL: config.lockTtlMs,
      TOKEN_ENGINE_RECONCILIATION_INTERVAL: config.reconciliationIntervalMs,
      TOKEN_ENGINE_ROTATION_WINDOW_GUARD: config.rotationWindowGuardMs,
      TOKEN_ENGINE_ACCESS_TOKEN_TTL: config.accessTokenTtlMs,
      TOKEN_ENGINE_REFRESH_TOKEN_TTL: config.refreshTokenTtlMs,
      TOKEN_ENGINE_KEY_ROTATION_INTERVAL: config.keyRotationIntervalMs,
    };
    for (const [name, ms] of Object.entries(durationFields)) {
      expect(parseDuration(declared.get(name) ?? ''), name).toBe(ms);
    }
    expect(declared.get('TOKEN_ENGINE_TLS_MODE')).toBe(config.tlsMode);
    expect(declared.get('TOKEN_ENGINE_GRPC_ADDR')).toBe(`:${config.grpcAddr.port}`);
    expect(declared.get('TOKEN_ENGINE_HTTP_ADDR')).toBe(`:${config.httpAddr.port}`);
    expect(declared.get('TOKEN_ENGINE_REDIS_ADDR')).toBe(`${config.redis.host}:${config.redis.port}`);
    expect(declared.get('TOKEN_ENGINE_REDIS_DB')).toBe(String(config.redis.db));
    expect(declared.get('TOKEN_ENGINE_STORE')).toBe(config.store);
    expect(declared.get('TOKEN_ENGINE_SIGNING_ALG')).toBe(config.signingAlg);
    expect(declared.get('TOKEN_ENGINE_LOG_LEVEL')).toBe(config.logLevel);
    expect(declared.get('TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX')).toBe(String(config.backfillExpiryIndex));
    expect(declared.get('TOKEN_ENGINE_WORKERS')).toBe(String(config.workers));
  });

  it('returns a deeply frozen config', () => {
    const { config } = load({ ...MTLS, TOKEN_ENGINE_REDIS_CLUSTER_NODES: 'a:7000' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.redis)).toBe(true);
    expect(Object.isFrozen(config.redis.clusterNodes)).toBe(true);
    expect(Object.isFrozen(config.redis.clusterNodes?.[0])).toBe(true);
    expect(Object.isFrozen(config.grpcAddr)).toBe(true);
    expect(Object.isFrozen(config.tls)).toBe(true);
    expect(() => {
      (config as { issuer: string }).issuer = 'changed';
    }).toThrow(TypeError);
  });
});

describe('loadConfig: full population', () => {
  it('reads every value given', () => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_GRPC_ADDR: ':9999',
      TOKEN_ENGINE_HTTP_ADDR: ':8888',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
      TOKEN_ENGINE_IDEMPOTENCY_TTL: '10m',
      TOKEN_ENGINE_MAX_CONNECTION_AGE: '1h',
      TOKEN_ENGINE_LOCK_TTL: '10s',
      TOKEN_ENGINE_REDIS_ADDR: 'redis.example.com:6379',
      TOKEN_ENGINE_REDIS_PASSWORD: 'secret',
      TOKEN_ENGINE_REDIS_DB: '2',
    });
    expect(config.grpcAddr).toEqual({ host: '0.0.0.0', port: 9999 });
    expect(config.httpAddr).toEqual({ host: '0.0.0.0', port: 8888 });
    expect(config.otlpEndpoint).toBe('http://collector:4317');
    expect(config.idempotencyTtlMs).toBe(600_000);
    expect(config.maxConnectionAgeMs).toBe(3_600_000);
    expect(config.lockTtlMs).toBe(10_000);
    expect(config.redis).toEqual({
      host: 'redis.example.com',
      port: 6379,
      password: 'secret',
      db: 2,
      tls: false,
    });
    // Untouched values keep their defaults.
    expect(config.maxConnectionAgeGraceMs).toBe(300_000);
    expect(warnings).toHaveLength(1);
    expect(warnings.join('\n')).not.toContain('secret');
  });

  it('reads the remaining optional values', () => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE: '45s',
      TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: '2m',
      TOKEN_ENGINE_RECONCILIATION_INTERVAL: '90s',
      TOKEN_ENGINE_ROTATION_WINDOW_GUARD: '2m30s',
      TOKEN_ENGINE_ACCESS_TOKEN_TTL: '5m',
      TOKEN_ENGINE_REFRESH_TOKEN_TTL: '168h',
      TOKEN_ENGINE_KEY_ROTATION_INTERVAL: '24h',
      TOKEN_ENGINE_SIGNING_ALG: 'EdDSA',
      TOKEN_ENGINE_KEY_ENCRYPTION_KEY: KEK,
      TOKEN_ENGINE_TENANTS_PATH: '/etc/token-engine/tenants.yaml',
      TOKEN_ENGINE_LOG_LEVEL: 'debug',
      TOKEN_ENGINE_GRPC_REFLECTION: 'true',
      TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX: 'true',
      TOKEN_ENGINE_WORKERS: '4',
    });
    expect(warnings).toEqual([]);
    expect(config.maxConnectionAgeGraceMs).toBe(45_000);
    expect(config.jwksCacheMaxAgeMs).toBe(120_000);
    expect(config.reconciliationIntervalMs).toBe(90_000);
    expect(config.rotationWindowGuardMs).toBe(150_000);
    expect(config.accessTokenTtlMs).toBe(300_000);
    expect(config.refreshTokenTtlMs).toBe(7 * 86_400_000);
    expect(config.keyRotationIntervalMs).toBe(86_400_000);
    expect(config.signingAlg).toBe('EdDSA');
    expect(config.keyEncryptionKey?.equals(KEK_BYTES)).toBe(true);
    expect(config.tenantsPath).toBe('/etc/token-engine/tenants.yaml');
    expect(config.logLevel).toBe('debug');
    expect(config.grpcReflection).toBe(true);
    expect(config.backfillExpiryIndex).toBe(true);
    expect(config.workers).toBe(4);
  });
});

describe('loadConfig: durations', () => {
  const DURATION_VARS = ENV_VARIABLES.filter((v) => v.type === 'duration').map((v) => v.name);

  it('covers all fourteen duration variables', () => {
    expect(DURATION_VARS).toHaveLength(14);
  });

  it.each(DURATION_VARS)('%s: unparsable → warning naming it + default', (name) => {
    const defaults = load(MTLS).config;
    const { config, warnings } = load({ ...MTLS, [name]: '5 minutes' });
    expect(config).toEqual(defaults);
    expect(warnings).toContainEqual(expect.stringMatching(new RegExp(`^${name}: cannot parse "5 minutes"`)));
  });

  it.each(
    DURATION_VARS.flatMap((name) => [
      [name, '0'],
      [name, '-5m'],
      [name, '0s'],
    ]),
  )('%s=%s → warning + default', (name, value) => {
    const defaults = load(MTLS).config;
    const { config, warnings } = load({ ...MTLS, [name]: value });
    expect(config).toEqual(defaults);
    expect(warnings).toContain(
      `${name} must be positive, got "${value}"; using default ${ENV_VARIABLES.find((v) => v.name === name)?.default}`,
    );
  });

  it('accepts compound Go durations', () => {
    const { config } = load({
      ...MTLS,
      TOKEN_ENGINE_IDEMPOTENCY_TTL: '2h45m30.5s',
      TOKEN_ENGINE_LOCK_TTL: '1.5h',
    });
    expect(config.idempotencyTtlMs).toBe(9_930_500);
    expect(config.lockTtlMs).toBe(5_400_000);
  });

  it.each([
    ['15m', '15m'],
    ['1h', '15m'],
    ['721h', '720h'],
  ])('access %s not shorter than refresh %s → warning and both defaults', (access, refresh) => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_ACCESS_TOKEN_TTL: access,
      TOKEN_ENGINE_REFRESH_TOKEN_TTL: refresh,
    });
    expect(config.accessTokenTtlMs).toBe(900_000);
    expect(config.refreshTokenTtlMs).toBe(2_592_000_000);
    expect(warnings).toContainEqual(
      expect.stringMatching(/^TOKEN_ENGINE_ACCESS_TOKEN_TTL .* must be shorter than TOKEN_ENGINE_REFRESH_TOKEN_TTL/),
    );
  });

  it('keeps an access TTL that is shorter than a custom refresh TTL', () => {
    const { config } = load({
      ...MTLS,
      TOKEN_ENGINE_ACCESS_TOKEN_TTL: '59m',
      TOKEN_ENGINE_REFRESH_TOKEN_TTL: '1h',
    });
    expect(config.accessTokenTtlMs).toBe(59 * 60_000);
    expect(config.refreshTokenTtlMs).toBe(3_600_000);
  });
});

describe('loadConfig: listen addresses', () => {
  it.each([
    [':9090', { host: '0.0.0.0', port: 9090 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    [':0', { host: '0.0.0.0', port: 0 }],
    ['localhost:50051', { host: 'localhost', port: 50051 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
    ['[::]:65535', { host: '::', port: 65535 }],
  ])('parses %j', (value, expected) => {
    expect(load({ ...MTLS, TOKEN_ENGINE_GRPC_ADDR: value }).config.grpcAddr).toEqual(expected);
    expect(load({ ...MTLS, TOKEN_ENGINE_HTTP_ADDR: value }).config.httpAddr).toEqual(expected);
  });

  it.each(['9090', 'localhost', ':', ':65536', 'host:abc', '::1:9090', '[::1]9090', '[::1]:', 'a b:80', ':-1'])(
    'rejects %j fatally for both listeners',
    (value) => {
      const err = fatal({ ...MTLS, TOKEN_ENGINE_GRPC_ADDR: value, TOKEN_ENGINE_HTTP_ADDR: value });
      expect(err.problems).toEqual([
        expect.stringMatching(/^TOKEN_ENGINE_GRPC_ADDR must be host:port/),
        expect.stringMatching(/^TOKEN_ENGINE_HTTP_ADDR must be host:port/),
      ]);
    },
  );
});

describe('loadConfig: redis', () => {
  it('parses a redis:// URL with user, encoded password and db', () => {
    const url = 'redis://app:p%40ss%3Aword@redis.example.com:6380/3';
    const { config } = load({ ...MTLS, TOKEN_ENGINE_REDIS_URL: url });
    expect(config.redis).toEqual({
      url,
      host: 'redis.example.com',
      port: 6380,
      username: 'app',
      password: 'p@ss:word',
      db: 3,
      tls: false,
    });
  });

  it('parses a rediss:// URL as TLS with default port and db', () => {
    const { config } = load({
      ...MTLS,
      TOKEN_ENGINE_REDIS_URL: 'rediss://:hunter2@cache.internal',
    });
    expect(config.redis).toMatchObject({
      host: 'cache.internal',
      port: 6379,
      password: 'hunter2',
      db: 0,
      tls: true,
    });
    expect(config.redis.username).toBeUndefined();
  });

  it('parses an IPv6 URL host without brackets', () => {
    const { config } = load({ ...MTLS, TOKEN_ENGINE_REDIS_URL: 'redis://[::1]:7000/' });
    expect(config.redis).toMatchObject({ host: '::1', port: 7000, db: 0, tls: false });
  });

  it('URL wins over ADDR, PASSWORD and DB, with a warning that does not echo the password', () => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_REDIS_URL: 'redis://:urlsecret@from-url:6390/5',
      TOKEN_ENGINE_REDIS_ADDR: 'from-addr:6379',
      TOKEN_ENGINE_REDIS_PASSWORD: 'addrsecret',
      TOKEN_ENGINE_REDIS_DB: '1',
    });
    expect(config.redis).toMatchObject({
      host: 'from-url',
      port: 6390,
      password: 'urlsecret',
      db: 5,
    });
    expect(warnings).toContain(
      'TOKEN_ENGINE_REDIS_ADDR, TOKEN_ENGINE_REDIS_PASSWORD, TOKEN_ENGINE_REDIS_DB ignored because TOKEN_ENGINE_REDIS_URL is set',
    );
    expect(warnings.join('\n')).not.toMatch(/urlsecret|addrsecret/);
  });

  it.each([
    ['http://u:hunter2@cache:6379', 'must use the redis:// or rediss:// scheme'],
    ['cache:6379', 'must use the redis:// or rediss:// scheme'],
    ['not a url hunter2', 'is not a valid URL'],
    ['redis://u:hunter2@cache:6379/zero', 'path must be a database number'],
    ['redis://u:hunter2@cache:6379/0/1', 'path must be a database number'],
    ['redis://u:hunter2@cache:0', 'port must be between 1 and 65535'],
    ['redis://u:hunter2@cache:70000', 'is not a valid URL'],
    ['redis://u:%E0%A4%A@cache', 'has a malformed percent-encoding'],
  ])('rejects %j fatally without echoing it', (url, expected) => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_URL: url });
    expect(err.problems).toEqual([expect.stringContaining(`TOKEN_ENGINE_REDIS_URL ${expected}`)]);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('cache');
  });

  it('rejects an ADDR without a port fatally', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_ADDR: 'redis.example.com' });
    expect(err.problems).toEqual([expect.stringMatching(/^TOKEN_ENGINE_REDIS_ADDR must be host:port/)]);
  });

  it.each(['-1', 'two', '1.5'])('REDIS_DB %j → warning + 0', (value) => {
    const { config, warnings } = load({ ...MTLS, TOKEN_ENGINE_REDIS_DB: value });
    expect(config.redis.db).toBe(0);
    expect(warnings).toContainEqual(expect.stringMatching(/^TOKEN_ENGINE_REDIS_DB must be an integer ≥ 0/));
  });

  it('parses cluster nodes, trimming spaces', () => {
    const { config } = load({
      ...MTLS,
      TOKEN_ENGINE_REDIS_CLUSTER_NODES: 'node-a:7000, node-b:7001,[::1]:7002',
    });
    expect(config.redis.clusterNodes).toEqual([
      { host: 'node-a', port: 7000 },
      { host: 'node-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(config.redis.sentinels).toBeUndefined();
  });

  it('rejects a bad cluster node fatally, naming the entry', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_CLUSTER_NODES: 'node-a:7000,node-b' });
    expect(err.problems).toEqual(['TOKEN_ENGINE_REDIS_CLUSTER_NODES entry "node-b" must be host:port or [ipv6]:port']);
  });

  it('rejects a cluster list with no entries', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_CLUSTER_NODES: ',' });
    expect(err.problems).toEqual(['TOKEN_ENGINE_REDIS_CLUSTER_NODES must list at least one host:port']);
  });

  it('parses sentinels with their master', () => {
    const { config } = load({
      ...MTLS,
      TOKEN_ENGINE_REDIS_SENTINELS: 's1:26379,s2:26379',
      TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'mymaster',
    });
    expect(config.redis.sentinels).toEqual([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
    ]);
    expect(config.redis.sentinelMaster).toBe('mymaster');
  });

  it('requires a sentinel master when sentinels are set', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_SENTINELS: 's1:26379' });
    expect(err.problems).toEqual([
      'TOKEN_ENGINE_REDIS_SENTINEL_MASTER must not be empty when TOKEN_ENGINE_REDIS_SENTINELS is set',
    ]);
  });

  it('rejects a bad sentinel entry', () => {
    const err = fatal({
      ...MTLS,
      TOKEN_ENGINE_REDIS_SENTINELS: 's1',
      TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'm',
    });
    expect(err.problems).toEqual(['TOKEN_ENGINE_REDIS_SENTINELS entry "s1" must be host:port or [ipv6]:port']);
  });

  it('rejects cluster and sentinels together', () => {
    const err = fatal({
      ...MTLS,
      TOKEN_ENGINE_REDIS_CLUSTER_NODES: 'a:7000',
      TOKEN_ENGINE_REDIS_SENTINELS: 's1:26379',
      TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'mymaster',
    });
    expect(err.problems).toEqual(['TOKEN_ENGINE_REDIS_CLUSTER_NODES and TOKEN_ENGINE_REDIS_SENTINELS cannot both be set']);
  });

  it('warns that a sentinel master without sentinels is ignored', () => {
    const { config, warnings } = load({ ...MTLS, TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'mymaster' });
    expect(config.redis.sentinelMaster).toBeUndefined();
    expect(warnings).toContain('TOKEN_ENGINE_REDIS_SENTINEL_MASTER is ignored because TOKEN_ENGINE_REDIS_SENTINELS is not set');
  });

  it('reads the Sentinel credentials apart from the Redis ones', () => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_REDIS_URL: 'rediss://app:redis-pass@ignored:6379/2',
      TOKEN_ENGINE_REDIS_SENTINELS: 's1:26379',
      TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'mymaster',
      TOKEN_ENGINE_REDIS_SENTINEL_USERNAME: 'sentinel-user',
      TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
    });
    expect(config.redis).toMatchObject({
      username: 'app',
      password: 'redis-pass',
      tls: true,
      db: 2,
      sentinelUsername: 'sentinel-user',
      sentinelPassword: 'sentinel-pass',
    });
    for (const w of warnings) expect(w).not.toContain('pass');
  });

  it('warns that Sentinel credentials without sentinels are ignored, never quoting the password', () => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_REDIS_SENTINEL_USERNAME: 'sentinel-user',
      TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD: 'sentinel-secret-value',
    });
    expect(config.redis.sentinelUsername).toBeUndefined();
    expect(config.redis.sentinelPassword).toBeUndefined();
    expect(warnings).toContain('TOKEN_ENGINE_REDIS_SENTINEL_USERNAME is ignored because TOKEN_ENGINE_REDIS_SENTINELS is not set');
    expect(warnings).toContain('TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD is ignored because TOKEN_ENGINE_REDIS_SENTINELS is not set');
    expect(warnings.join('\n')).not.toContain('sentinel-secret-value');
  });
});

describe('loadConfig: store and key encryption key', () => {
  it.each(['postgres', 'Redis', 'MEMORY'])('store %j is fatal', (value) => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_STORE: value });
    expect(err.problems).toEqual([`TOKEN_ENGINE_STORE must be 'redis' or 'memory', got "${value}"`]);
  });

  it('accepts the key in unpadded and base64url form', () => {
    const unpadded = KEK.replace(/=+$/, '');
    expect(load({ ...MTLS, TOKEN_ENGINE_KEY_ENCRYPTION_KEY: unpadded }).config.keyEncryptionKey?.equals(KEK_BYTES)).toBe(true);
    const urlForm = Buffer.alloc(32, 0xfb).toString('base64url');
    expect(urlForm).toMatch(/[-_]/);
    expect(
      load({ ...MTLS, TOKEN_ENGINE_KEY_ENCRYPTION_KEY: urlForm }).config.keyEncryptionKey?.equals(Buffer.alloc(32, 0xfb)),
    ).toBe(true);
  });

  it.each([
    ['31 bytes', Buffer.alloc(31, 7).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 7).toString('base64')],
    ['hex of 32 bytes', Buffer.alloc(32, 7).toString('hex')],
    ['non-canonical trailing bits', `${KEK.slice(0, 42)}B=`],
    ['junk', 'SECRET-NOT-BASE64!'],
  ])('rejects %s fatally without echoing it', (_, value) => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_KEY_ENCRYPTION_KEY: value });
    expect(err.problems).toEqual([
      'TOKEN_ENGINE_KEY_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)',
    ]);
    expect(err.message).not.toContain(value);
  });
});

describe('loadConfig: warn-and-default values', () => {
  it.each(['ES256', 'EdDSA', 'RS256'])('signing alg %s', (alg) => {
    expect(load({ ...MTLS, TOKEN_ENGINE_SIGNING_ALG: alg }).config.signingAlg).toBe(alg);
  });

  it.each(['HS256', 'rs256', 'none'])('signing alg %j → warning + RS256', (alg) => {
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_SIGNING_ALG: alg,
      TOKEN_ENGINE_STORE: 'memory',
    });
    expect(config.signingAlg).toBe('RS256');
    expect(warnings).toEqual([`TOKEN_ENGINE_SIGNING_ALG must be 'RS256', 'ES256' or 'EdDSA', got "${alg}"; using default RS256`]);
  });

  it.each([
    ['debug', 'debug'],
    ['WARN', 'warn'],
    ['silent', 'silent'],
    ['trace', 'trace'],
  ])('log level %j → %s', (value, expected) => {
    expect(load({ ...MTLS, TOKEN_ENGINE_LOG_LEVEL: value }).config.logLevel).toBe(expected);
  });

  it('unknown log level → warning + info', () => {
    const { config, warnings } = load({ ...MTLS, TOKEN_ENGINE_LOG_LEVEL: 'verbose' });
    expect(config.logLevel).toBe('info');
    expect(warnings).toContainEqual(
      expect.stringMatching(/^TOKEN_ENGINE_LOG_LEVEL must be one of .*"verbose"; using default info$/),
    );
  });

  it.each([
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['NO', false],
  ])('reflection %j → %s regardless of TLS mode', (value, expected) => {
    expect(load({ ...MTLS, TOKEN_ENGINE_GRPC_REFLECTION: value }).config.grpcReflection).toBe(expected);
    expect(load({ ...DISABLED, TOKEN_ENGINE_GRPC_REFLECTION: value }).config.grpcReflection).toBe(expected);
  });

  it('bad reflection value → warning + the TLS-mode default', () => {
    const mtls = load({ ...MTLS, TOKEN_ENGINE_GRPC_REFLECTION: 'maybe' });
    const disabled = load({ ...DISABLED, TOKEN_ENGINE_GRPC_REFLECTION: 'maybe' });
    expect(mtls.config.grpcReflection).toBe(false);
    expect(disabled.config.grpcReflection).toBe(true);
    expect(disabled.warnings).toContainEqual(
      expect.stringMatching(/^TOKEN_ENGINE_GRPC_REFLECTION must be .*; using default true$/),
    );
  });

  it('backfill flag: yes → true, not-a-bool → warning + false', () => {
    expect(load({ ...MTLS, TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX: 'yes' }).config.backfillExpiryIndex).toBe(true);
    const { config, warnings } = load({
      ...MTLS,
      TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX: 'not-a-bool',
    });
    expect(config.backfillExpiryIndex).toBe(false);
    expect(warnings).toContainEqual(expect.stringMatching(/^TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX must be .*"not-a-bool"/));
  });

  it.each(['0', '-1', '1.5', 'four', '2x'])('workers %j → warning + 1', (value) => {
    const { config, warnings } = load({ ...MTLS, TOKEN_ENGINE_WORKERS: value });
    expect(config.workers).toBe(1);
    expect(warnings).toContainEqual(expect.stringMatching(/^TOKEN_ENGINE_WORKERS must be an integer ≥ 1/));
  });

  it('warns that RECONCILIATION_PAGE_SIZE is ignored', () => {
    const { warnings } = load({ ...MTLS, TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE: '100' });
    expect(warnings).toContain('TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE was removed upstream in v1.1.0 and is ignored');
  });

  it('warns about unknown TOKEN_ENGINE_ variables (typos) but not other variables', () => {
    const { warnings } = load({ ...MTLS, TOKEN_ENGINE_ISUER: 'x', PATH: '/bin', HOME: '/root' });
    expect(warnings).toContain('TOKEN_ENGINE_ISUER is not a known variable and is ignored');
    expect(warnings.join('\n')).not.toMatch(/PATH|HOME/);
  });
});

describe('loadConfig: secrets never appear in messages', () => {
  const SECRETS = ['KEYSECRET1', 'KEYSECRET2', 'REDISPWSECRET', 'URLPWSECRET', 'KEKSECRET'];

  it('in errors', () => {
    const text = allMessages({
      ...DISABLED,
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'KEYSECRET1=caller-a,KEYSECRET2',
      TOKEN_ENGINE_REDIS_URL: 'redis://user:URLPWSECRET@cache:6379/not-a-db',
      TOKEN_ENGINE_KEY_ENCRYPTION_KEY: 'KEKSECRET',
    });
    expect(text).toContain('invalid configuration:');
    expect(text.split('\n').length).toBeGreaterThan(3);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('in warnings', () => {
    const text = allMessages({
      ...MTLS,
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'KEYSECRET1=caller-a',
      TOKEN_ENGINE_REDIS_URL: 'rediss://user:URLPWSECRET@cache:6379/0',
      TOKEN_ENGINE_REDIS_PASSWORD: 'REDISPWSECRET',
      TOKEN_ENGINE_REDIS_DB: 'x',
      TOKEN_ENGINE_LOCK_TTL: 'bad',
    });
    expect(text).toContain('TOKEN_ENGINE_STATIC_CALLER_KEYS is ignored');
    expect(text).toContain('TOKEN_ENGINE_REDIS_PASSWORD');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});

describe('loadConfig: rate limits', () => {
  it('limits nobody by default', () => {
    const { config } = load(DISABLED);
    expect(config.rateLimitPerSecond).toBe(0);
  });

  it('reads the default rate and burst; the burst defaults to one second of the rate, at least 1', () => {
    expect(
      load({ ...DISABLED, TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: '100', TOKEN_ENGINE_RATE_LIMIT_BURST: '250' }).config,
    ).toMatchObject({
      rateLimitPerSecond: 100,
      rateLimitBurst: 250,
    });
    expect(load({ ...DISABLED, TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: '2.5' }).config.rateLimitBurst).toBe(3);
    expect(load({ ...DISABLED, TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: '0.2' }).config.rateLimitBurst).toBe(1);
  });

  it.each(['-1', 'fast', '1e3', '0.0001', '2000000', '10/s'])('refuses the rate %j, naming the accepted range', (value) => {
    const err = fatal({ ...DISABLED, TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: value });
    expect(err.problems).toEqual([
      `TOKEN_ENGINE_RATE_LIMIT_PER_SECOND must be 0 (unlimited) or a number of calls per second between 0.001 and 1000000, got ${JSON.stringify(value)}`,
    ]);
  });

  it.each(['0', '1.5', 'x', '1000001'])('refuses the burst %j', (value) => {
    const err = fatal({ ...DISABLED, TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: '5', TOKEN_ENGINE_RATE_LIMIT_BURST: value });
    expect(err.problems).toEqual([
      `TOKEN_ENGINE_RATE_LIMIT_BURST must be an integer between 1 and 1000000, got ${JSON.stringify(value)}`,
    ]);
  });

  it('warns that a burst without a rate is ignored', () => {
    const { warnings } = load({ ...DISABLED, TOKEN_ENGINE_RATE_LIMIT_BURST: '10' });
    expect(warnings).toContain(
      'TOKEN_ENGINE_RATE_LIMIT_BURST is ignored because TOKEN_ENGINE_RATE_LIMIT_PER_SECOND is 0 (unlimited)',
    );
  });
});

describe('ENV_VARIABLES', () => {
  it('lists each variable once, frozen', () => {
    const names = ENV_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(57);
    expect(Object.isFrozen(ENV_VARIABLES)).toBe(true);
    for (const v of ENV_VARIABLES) {
      expect(Object.isFrozen(v)).toBe(true);
      expect(v.name).toMatch(/^(TOKEN_ENGINE|OTEL)_[A-Z0-9_]+$/);
      expect(v.description.length).toBeGreaterThan(10);
    }
  });

  it("marks 'always' variables as fatal when missing", () => {
    const always = ENV_VARIABLES.filter((v) => v.required === 'always');
    expect(always.map((v) => v.name)).toEqual(['TOKEN_ENGINE_ISSUER', 'TOKEN_ENGINE_AUDIENCE']);
    for (const v of always) {
      expect(fatal({ ...DISABLED, [v.name]: undefined }).problems.join('\n')).toContain(v.name);
    }
  });

  it("marks exactly the variables required in mtls as 'mtls'", () => {
    for (const v of ENV_VARIABLES) {
      const env = { ...MTLS, [v.name]: undefined };
      const missingIsFatal = (() => {
        try {
          loadConfig(env);
          return false;
        } catch {
          return true;
        }
      })();
      expect(missingIsFatal, v.name).toBe(v.required !== 'no');
    }
  });

  // One invalid sample per variable whose validity config can judge.
  const INVALID: Record<string, Env> = {
    TOKEN_ENGINE_TLS_MODE: { TOKEN_ENGINE_TLS_MODE: 'none' },
    TOKEN_ENGINE_STATIC_CALLER_KEYS: { TOKEN_ENGINE_STATIC_CALLER_KEYS: 'no-equals' },
    TOKEN_ENGINE_GRPC_ADDR: { TOKEN_ENGINE_GRPC_ADDR: 'nope' },
    TOKEN_ENGINE_HTTP_ADDR: { TOKEN_ENGINE_HTTP_ADDR: 'nope' },
    TOKEN_ENGINE_IDEMPOTENCY_TTL: { TOKEN_ENGINE_IDEMPOTENCY_TTL: 'x' },
    TOKEN_ENGINE_MAX_CONNECTION_AGE: { TOKEN_ENGINE_MAX_CONNECTION_AGE: 'x' },
    TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE: { TOKEN_ENGINE_MAX_CONNECTION_AGE_GRACE: 'x' },
    TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: { TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: 'x' },
    TOKEN_ENGINE_LOCK_TTL: { TOKEN_ENGINE_LOCK_TTL: 'x' },
    TOKEN_ENGINE_RECONCILIATION_INTERVAL: { TOKEN_ENGINE_RECONCILIATION_INTERVAL: 'x' },
    TOKEN_ENGINE_ROTATION_WINDOW_GUARD: { TOKEN_ENGINE_ROTATION_WINDOW_GUARD: 'x' },
    TOKEN_ENGINE_ACCESS_TOKEN_TTL: { TOKEN_ENGINE_ACCESS_TOKEN_TTL: 'x' },
    TOKEN_ENGINE_REFRESH_TOKEN_TTL: { TOKEN_ENGINE_REFRESH_TOKEN_TTL: 'x' },
    TOKEN_ENGINE_KEY_ROTATION_INTERVAL: { TOKEN_ENGINE_KEY_ROTATION_INTERVAL: 'x' },
    TOKEN_ENGINE_REDIS_ADDR: { TOKEN_ENGINE_REDIS_ADDR: 'nope' },
    TOKEN_ENGINE_REDIS_DB: { TOKEN_ENGINE_REDIS_DB: 'x' },
    TOKEN_ENGINE_REDIS_URL: { TOKEN_ENGINE_REDIS_URL: 'http://x' },
    TOKEN_ENGINE_REDIS_CLUSTER_NODES: { TOKEN_ENGINE_REDIS_CLUSTER_NODES: 'nope' },
    TOKEN_ENGINE_REDIS_SENTINELS: {
      TOKEN_ENGINE_REDIS_SENTINELS: 'nope',
      TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'm',
    },
    TOKEN_ENGINE_REDIS_SENTINEL_MASTER: { TOKEN_ENGINE_REDIS_SENTINELS: 's:26379' },
    TOKEN_ENGINE_STORE: { TOKEN_ENGINE_STORE: 'x' },
    TOKEN_ENGINE_SIGNING_ALG: { TOKEN_ENGINE_SIGNING_ALG: 'x' },
    TOKEN_ENGINE_KEY_ENCRYPTION_KEY: { TOKEN_ENGINE_KEY_ENCRYPTION_KEY: 'x' },
    TOKEN_ENGINE_LOG_LEVEL: { TOKEN_ENGINE_LOG_LEVEL: 'x' },
    TOKEN_ENGINE_GRPC_REFLECTION: { TOKEN_ENGINE_GRPC_REFLECTION: 'x' },
    TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX: { TOKEN_ENGINE_BACKFILL_EXPIRY_INDEX: 'x' },
    TOKEN_ENGINE_WORKERS: { TOKEN_ENGINE_WORKERS: 'x' },
    TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: { TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: '-1' },
    TOKEN_ENGINE_RATE_LIMIT_BURST: { TOKEN_ENGINE_RATE_LIMIT_PER_SECOND: '5', TOKEN_ENGINE_RATE_LIMIT_BURST: '0' },
    TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE: { TOKEN_ENGINE_RECONCILIATION_PAGE_SIZE: '100' },
  };

  it.each(Object.keys(INVALID))('onInvalid of %s matches what loadConfig does', (name) => {
    const declared = ENV_VARIABLES.find((v) => v.name === name);
    expect(declared).toBeDefined();
    const env = { ...MTLS, TOKEN_ENGINE_STORE: 'memory', ...INVALID[name] };
    if (declared?.onInvalid === 'fatal') {
      expect(fatal(env).problems).toContainEqual(expect.stringContaining(name));
    } else {
      const { warnings } = load(env);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(name);
    }
  });
});

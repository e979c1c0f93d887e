import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARIABLES, loadConfig } from '../../../src/config/config.js';

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
};
const KEK_BYTES = Buffer.alloc(32, 0x5a);

function fatal(env: Env, options?: Parameters<typeof loadConfig>[1]): ConfigError {
  try {
    loadConfig(env, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig did not throw');
}

describe('secrets from <NAME>_FILE', () => {
  let dir: string;
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'token-engine-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are offered for exactly the secret variables', () => {
    expect(ENV_VARIABLES.filter((v) => v.secret).map((v) => v.name)).toEqual([
      'TOKEN_ENGINE_STATIC_CALLER_KEYS',
      'TOKEN_ENGINE_REDIS_URL',
      'TOKEN_ENGINE_REDIS_PASSWORD',
      'TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD',
      'TOKEN_ENGINE_KEY_ENCRYPTION_KEY',
      'TOKEN_ENGINE_PKCS11_PIN',
      'TOKEN_ENGINE_API_KEY_PEPPER',
    ]);
  });

  it('cover every variable that holds a credential, so each can come from a mounted file', () => {
    const credential = /(PASSWORD|_PIN|PEPPER|SECRET|ENCRYPTION_KEY|CALLER_KEYS|REDIS_URL)$/;
    const named = ENV_VARIABLES.filter((v) => credential.test(v.name));
    expect(named.length).toBeGreaterThanOrEqual(5);
    for (const v of named) expect(v.secret, v.name).toBe(true);
  });

  it('read each secret from a real file, less one trailing newline', () => {
    const { config, warnings } = loadConfig({
      ...DISABLED,
      TOKEN_ENGINE_STATIC_CALLER_KEYS_FILE: file('keys', 'key-one=caller-a,key-two=caller-b\n'),
      TOKEN_ENGINE_REDIS_PASSWORD_FILE: file('password', 'pass word \n\n'),
      TOKEN_ENGINE_KEY_ENCRYPTION_KEY_FILE: file('kek', `${KEK_BYTES.toString('base64')}\r\n`),
    });
    expect([...config.staticCallerKeys]).toEqual([
      ['key-one', 'caller-a'],
      ['key-two', 'caller-b'],
    ]);
    // Only one newline goes: a password may end in spaces or newlines of its own.
    expect(config.redis.password).toBe('pass word \n');
    expect(config.keyEncryptionKey?.equals(KEK_BYTES)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('read the Redis URL from a file', () => {
    const { config } = loadConfig({ ...MTLS, TOKEN_ENGINE_REDIS_URL_FILE: file('url', 'rediss://app:s3cret@cache:6380/2\n') });
    expect(config.redis).toMatchObject({ host: 'cache', port: 6380, username: 'app', password: 's3cret', db: 2, tls: true });
  });

  it('read the Sentinel password from a file', () => {
    const { config } = loadConfig({
      ...MTLS,
      TOKEN_ENGINE_REDIS_SENTINELS: 's1:26379',
      TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'mymaster',
      TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD_FILE: file('sentinel', 'sentinel pass\n'),
    });
    expect(config.redis.sentinelPassword).toBe('sentinel pass');
  });

  it('satisfy a requirement (static keys when TLS is disabled)', () => {
    const { config } = loadConfig({ ...DISABLED, TOKEN_ENGINE_STATIC_CALLER_KEYS_FILE: file('k', 'k=c') });
    expect(config.staticCallerKeys.get('k')).toBe('c');
  });

  it('are known names: no "unknown variable" warning', () => {
    const { warnings } = loadConfig({ ...MTLS, TOKEN_ENGINE_REDIS_PASSWORD_FILE: file('pw', 'x') });
    expect(warnings.join('\n')).not.toContain('not a known variable');
  });

  it('exist only for secrets: TOKEN_ENGINE_ISSUER_FILE is unknown', () => {
    const { warnings } = loadConfig({ ...MTLS, TOKEN_ENGINE_ISSUER_FILE: '/x' });
    expect(warnings).toContain('TOKEN_ENGINE_ISSUER_FILE is not a known variable and is ignored');
  });

  it('setting both a secret and its file is fatal, naming both', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_PASSWORD: 'HUNTER2', TOKEN_ENGINE_REDIS_PASSWORD_FILE: file('pw2', 'x') });
    expect(err.problems).toEqual(['TOKEN_ENGINE_REDIS_PASSWORD and TOKEN_ENGINE_REDIS_PASSWORD_FILE are both set; set only one']);
    expect(err.message).not.toContain('HUNTER2');
  });

  it('a missing file is fatal, naming the variable, the path and the error code', () => {
    const missing = join(dir, 'no-such-file');
    const err = fatal({ ...MTLS, TOKEN_ENGINE_KEY_ENCRYPTION_KEY_FILE: missing });
    expect(err.problems).toEqual([`TOKEN_ENGINE_KEY_ENCRYPTION_KEY_FILE: cannot read ${JSON.stringify(missing)} (ENOENT)`]);
  });

  it('a directory is fatal too', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    const err = fatal({ ...DISABLED, TOKEN_ENGINE_STATIC_CALLER_KEYS_FILE: sub });
    // One problem: the unreadable file, not also "must not be empty".
    expect(err.problems).toEqual([`TOKEN_ENGINE_STATIC_CALLER_KEYS_FILE: cannot read ${JSON.stringify(sub)} (EISDIR)`]);
  });

  it('passes on the error code of the reader (permission denied)', () => {
    const readFile = (path: string): string => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    };
    const err = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_URL_FILE: '/run/secrets/redis-url' }, { readFile });
    expect(err.problems).toEqual(['TOKEN_ENGINE_REDIS_URL_FILE: cannot read "/run/secrets/redis-url" (EACCES)']);
  });

  it('an empty file is fatal rather than silently unset', () => {
    const err = fatal({ ...DISABLED, TOKEN_ENGINE_STATIC_CALLER_KEYS_FILE: file('empty', '\n') });
    expect(err.problems).toEqual([`TOKEN_ENGINE_STATIC_CALLER_KEYS_FILE: ${JSON.stringify(join(dir, 'empty'))} is empty`]);
  });

  it('a file with an invalid secret is reported without its content', () => {
    const err = fatal({ ...MTLS, TOKEN_ENGINE_KEY_ENCRYPTION_KEY_FILE: file('bad-kek', 'NOT-A-KEY-SECRET\n') });
    expect(err.problems).toEqual([
      'TOKEN_ENGINE_KEY_ENCRYPTION_KEY must be the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)',
    ]);
    expect(err.message).not.toContain('NOT-A-KEY-SECRET');
    const url = fatal({ ...MTLS, TOKEN_ENGINE_REDIS_URL_FILE: file('bad-url', 'http://u:URLSECRET@cache:6379') });
    expect(url.message).not.toContain('URLSECRET');
  });

  it('an empty <NAME>_FILE is unset, like any empty variable', () => {
    const { config } = loadConfig({ ...MTLS, TOKEN_ENGINE_REDIS_PASSWORD: 'pw', TOKEN_ENGINE_REDIS_PASSWORD_FILE: ' ' });
    expect(config.redis.password).toBe('pw');
  });
});

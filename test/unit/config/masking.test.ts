import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';

type Env = Record<string, string | undefined>;

const MTLS: Env = {
  TOKEN_ENGINE_ISSUER: 'https://auth.example.com',
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_CERT_FILE: '/tls/server.crt',
  TOKEN_ENGINE_TLS_KEY_FILE: '/tls/server.key',
  TOKEN_ENGINE_TLS_CA_FILE: '/tls/ca.crt',
  TOKEN_ENGINE_CALLER_REGISTRY_PATH: '/etc/token-engine/callers.yaml',
  TOKEN_ENGINE_STORE: 'memory',
};

/** Every text loadConfig gives back for `env`: the problems, or else the warnings. */
function messages(env: Env): { fatal: boolean; text: string } {
  try {
    return { fatal: false, text: loadConfig(env).warnings.join('\n') };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { fatal: true, text: `${err.message}\n${err.problems.join('\n')}` };
  }
}

// Credentials written by mistake where only host:port belongs: the value is invalid (an
// '@' is never part of a host), and the problem must say so without repeating them.
describe('credentials put in address variables are not echoed', () => {
  it.each([
    [
      'TOKEN_ENGINE_REDIS_ADDR',
      'app:Pa55wordX@redis.internal:6379',
      'TOKEN_ENGINE_REDIS_ADDR must be host:port or [ipv6]:port, got "***@redis.internal:6379"',
    ],
    [
      'TOKEN_ENGINE_REDIS_ADDR',
      'redis://:Pa55wordX@redis.internal:6379',
      'TOKEN_ENGINE_REDIS_ADDR must be host:port or [ipv6]:port, got "***@redis.internal:6379"',
    ],
    [
      'TOKEN_ENGINE_REDIS_CLUSTER_NODES',
      'node-a:7000,app:Pa55wordX@node-b:7001',
      'TOKEN_ENGINE_REDIS_CLUSTER_NODES entry "***@node-b:7001" must be host:port or [ipv6]:port',
    ],
    [
      'TOKEN_ENGINE_REDIS_SENTINELS',
      'app:Pa55wordX@s1:26379,s2:26379',
      'TOKEN_ENGINE_REDIS_SENTINELS entry "***@s1:26379" must be host:port or [ipv6]:port',
    ],
  ])('%s=%s', (name, value, expected) => {
    const { fatal, text } = messages({ ...MTLS, TOKEN_ENGINE_REDIS_SENTINEL_MASTER: 'm', [name]: value });
    expect(fatal).toBe(true);
    expect(text).toContain(expected);
    expect(text).not.toContain('Pa55wordX');
    expect(text).not.toContain('app:');
  });

  it('hides the parts of a password that contains a comma, entry by entry', () => {
    const { fatal, text } = messages({ ...MTLS, TOKEN_ENGINE_REDIS_CLUSTER_NODES: 'app:Pa55,wordX@node-b:7001,node-c' });
    expect(fatal).toBe(true);
    expect(text).not.toMatch(/Pa55|wordX/);
    // An entry after the credentials is still quoted, so the operator can find it.
    expect(text).toContain('TOKEN_ENGINE_REDIS_CLUSTER_NODES entry "node-c" must be host:port or [ipv6]:port');
  });

  it('in a listen address and in warnings too', () => {
    expect(messages({ ...MTLS, TOKEN_ENGINE_GRPC_ADDR: 'me:Pa55wordX@0.0.0.0:9090' }).text).not.toContain('Pa55wordX');
    const { fatal, text } = messages({ ...MTLS, TOKEN_ENGINE_LOCK_TTL: 'me:Pa55wordX@30s' });
    expect(fatal).toBe(false);
    expect(text).toContain('TOKEN_ENGINE_LOCK_TTL: cannot parse "***@30s" as a duration');
    expect(text).not.toContain('Pa55wordX');
  });

  it('still quotes values that hold no credentials', () => {
    expect(messages({ ...MTLS, TOKEN_ENGINE_REDIS_ADDR: 'redis.internal' }).text).toContain('got "redis.internal"');
  });
});

/** The redis:// and rediss:// URL of TOKEN_ENGINE_REDIS_URL. */
import { LOCAL_HOST } from './address.js';
import type { RedisConfig } from './types.js';
import { invalid, ok, type Parsed, type ValueType } from './value-types.js';

/** The port Redis listens on unless told otherwise. */
export const REDIS_PORT = 6379;

/** Where one Redis server is and how to log in: what a URL or ADDR/PASSWORD/DB name. */
export type RedisTarget = Pick<RedisConfig, 'url' | 'host' | 'port' | 'username' | 'password' | 'db' | 'tls'>;

/**
 * `redis[s]://[user[:password]@]host[:port][/db]`. Problems never quote the URL: it may
 * hold a password.
 */
export const redisUrl: ValueType<RedisTarget> = {
  describe: 'redis:// or rediss:// URL',
  parse(value, ctx): Parsed<RedisTarget> {
    const name = ctx.name;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return invalid(`${name} is not a valid URL (expected redis[s]://[user[:password]@]host[:port][/db])`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      return invalid(`${name} must use the redis:// or rediss:// scheme`);
    }
    const port = url.port === '' ? REDIS_PORT : Number(url.port);
    if (port === 0) return invalid(`${name} port must be between 1 and 65535`);
    const dbMatch = /^\/?(\d*)$/.exec(url.pathname);
    if (dbMatch === null) return invalid(`${name} path must be a database number, like /0`);
    const db = Number(dbMatch[1] ?? '');
    if (!Number.isSafeInteger(db)) return invalid(`${name} database number is too large`);
    let username: string;
    let password: string;
    try {
      username = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      return invalid(`${name} has a malformed percent-encoding in its user or password`);
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return ok({
      url: value,
      host: hostname === '' ? LOCAL_HOST : hostname,
      port,
      ...(username === '' ? {} : { username }),
      ...(password === '' ? {} : { password }),
      db,
      tls: url.protocol === 'rediss:',
    });
  },
  format: (target) => target.url ?? '',
};

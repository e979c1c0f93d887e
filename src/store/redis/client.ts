import { Cluster, Redis, ReplyError, type RedisOptions } from 'ioredis';
import { storeUnavailable } from '../../errors.js';

/** Where Redis is and how to reach it (the `redis` part of Config). */
export interface RedisConnectionSettings {
  readonly host: string;
  readonly port: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly db: number;
  readonly tls: boolean;
  readonly clusterNodes?: readonly { host: string; port: number }[] | undefined;
  readonly sentinels?: readonly { host: string; port: number }[] | undefined;
  readonly sentinelMaster?: string | undefined;
  readonly sentinelUsername?: string | undefined;
  readonly sentinelPassword?: string | undefined;
}

/** A standalone, Sentinel-managed or Cluster connection: the same command API. */
export type RedisClient = Redis | Cluster;

/**
 * Request-path settings: fail fast instead of queueing while Redis is away, so a
 * caller gets UNAVAILABLE within a second or two rather than a hang.
 */
const REQUEST_PATH: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  enableAutoPipelining: true,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
  lazyConnect: true,
};

/** Builds (but does not connect) the client for the configured topology. */
export function createRedisClient(settings: RedisConnectionSettings): RedisClient {
  const auth = {
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
  };
  if (settings.clusterNodes && settings.clusterNodes.length > 0) {
    return new Cluster(
      settings.clusterNodes.map((n) => ({ host: n.host, port: n.port })),
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        scaleReads: 'master',
        redisOptions: { ...REQUEST_PATH, ...auth },
      },
    );
  }
  if (settings.sentinels && settings.sentinels.length > 0) {
    return new Redis({
      ...REQUEST_PATH,
      ...auth,
      sentinels: settings.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: settings.sentinelMaster ?? 'mymaster',
      // The Sentinels have credentials of their own: `username`/`password` log in to Redis only.
      ...(settings.sentinelUsername ? { sentinelUsername: settings.sentinelUsername } : {}),
      ...(settings.sentinelPassword ? { sentinelPassword: settings.sentinelPassword } : {}),
      // With Sentinels, ioredis ignores `tls` for the master unless told otherwise, and
      // reaches the Sentinels in plaintext unless given `sentinelTLS`: rediss means both.
      ...(settings.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      // Reconnect as soon as the sentinels switch master, not after the retry delay.
      failoverDetector: true,
      db: settings.db,
    });
  }
  return new Redis({ ...REQUEST_PATH, ...auth, host: settings.host, port: settings.port, db: settings.db });
}

/** Why the start-up connection gave up: Redis (or a Sentinel) never answered, or refused the credentials. */
export type ConnectProblem = 'unreachable' | 'redis_auth' | 'sentinel_auth';

/**
 * The start-up connection did not succeed within its window. `reason` is the last error
 * Redis or a Sentinel gave (a reply or a network error: never a credential).
 */
export class RedisConnectError extends Error {
  override readonly name = 'RedisConnectError';
  constructor(
    readonly problem: ConnectProblem,
    readonly reason: string,
    readonly deadlineMs: number,
    options?: { cause?: unknown },
  ) {
    super(`redis unreachable after ${Math.round(deadlineMs / 1000)} s: ${reason}`, options);
  }
}

const AUTH_REPLY = /\b(NOAUTH|WRONGPASS)\b|invalid password|invalid username-password/i;
// ioredis's Sentinel connector: "All sentinels are unreachable. Retrying … Last error: <reply>".
const SENTINEL_LOOP = /^All sentinels are unreachable\..*?(?:Last error: (.*))?$/s;

/**
 * Connects, retrying until `deadlineMs` has passed, then rejects with a {@link RedisConnectError}
 * naming the last problem seen. Every attempt is bounded by the time left: a client that
 * never settles (ioredis's Sentinel connector loops on its own while the Sentinels refuse
 * it, and its `connect()` stays pending) cannot hold the start beyond the window.
 */
export async function connectWithRetry(client: RedisClient, deadlineMs: number, sleep = defaultSleep): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  // The client's own error events say more than a pending or "Connection is closed" attempt.
  let reported: Error | undefined;
  const remember = (err: Error): void => {
    reported = err;
  };
  client.on('error', remember);
  try {
    for (;;) {
      let failure: unknown;
      try {
        await beforeDeadline(giveUpAt, async () => {
          if (client.status === 'wait' || client.status === 'end' || client.status === 'close') await client.connect();
          await client.ping();
        });
        return;
      } catch (err) {
        failure = err;
      }
      if (Date.now() >= giveUpAt) throw connectError(reported ?? failure, deadlineMs);
      await sleep(Math.min(2_000, Math.max(0, giveUpAt - Date.now())));
    }
  } finally {
    client.off('error', remember);
  }
}

/** Runs `op`, rejecting once `giveUpAt` has passed (the operation itself is left to its client). */
function beforeDeadline(giveUpAt: number, op: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within the start-up window')), Math.max(0, giveUpAt - Date.now()));
    op().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The error a failed start-up reports: what was refused, or the last network or client error. */
function connectError(err: unknown, deadlineMs: number): RedisConnectError {
  const text = err instanceof Error ? err.message : String(err);
  const sentinelLoop = SENTINEL_LOOP.exec(text);
  const lastSentinelError = sentinelLoop?.[1]?.trim() || undefined;
  if (AUTH_REPLY.test(text)) {
    return new RedisConnectError(sentinelLoop ? 'sentinel_auth' : 'redis_auth', lastSentinelError ?? text, deadlineMs, {
      cause: err,
    });
  }
  const reason = sentinelLoop ? `no Sentinel answered (${lastSentinelError ?? 'none reachable'})` : text;
  return new RedisConnectError('unreachable', reason, deadlineMs, { cause: err });
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// OOM: a full Redis under `maxmemory-policy noeviction` (the recommended policy) refuses
// writes until keys expire; NOREPLICAS: `min-replicas-to-write` is not met.
const TRANSIENT_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|BUSY|NOREPLICAS|OOM)\b/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const CLIENT_STATE =
  /Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries|None of startup nodes is available|Failed to refresh slots cache|All sentinels are unreachable|Cluster isn't ready/;

/**
 * True when an error means "Redis is not reachable or not serving right now" (retryable:
 * UNAVAILABLE): the network, the client's connection state, or a transient server reply.
 * Anything else — a script error, a bug in our code — is false and becomes INTERNAL.
 */
export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof ReplyError) return TRANSIENT_REPLY.test(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'ClusterAllFailedError') return true;
  return CLIENT_STATE.test(err.message);
}

/** Runs a Redis operation, turning "Redis is away" into the retryable store error. */
export async function guarded<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw isUnavailableError(err) ? storeUnavailable(err) : err;
  }
}

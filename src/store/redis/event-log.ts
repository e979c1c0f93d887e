import { Cluster, type Redis } from 'ioredis';
import type {
  EventPage,
  EventPosition,
  EventTail,
  RevocationEventLog,
  RevocationEventRecord,
  RevocationEventScope,
  TenantStorePolicy,
} from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { TenantKeys } from './keys.js';

/** The longest a tail read blocks; the tail's connection times a command out a little after it. */
export const MAX_BLOCK_MS = 10_000;
const TAIL_COMMAND_TIMEOUT_MS = MAX_BLOCK_MS + 5_000;

/** A stream entry as ioredis returns it: id and a flat field/value list. */
type StreamEntry = [id: string, fields: string[]];

const SCOPES: ReadonlySet<string> = new Set(['family', 'user', 'audience', 'user_audience', 'api_key']);

/** Reads one entry of `te:{T}:events` (written by the revocation scripts). */
export function parseEvent([cursor, fields]: StreamEntry): RevocationEventRecord {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
  const scope = f.get('scope') ?? '';
  if (!SCOPES.has(scope)) throw new Error(`revocation event ${cursor} has an unknown scope`);
  return {
    cursor,
    scope: scope as RevocationEventScope,
    userId: f.get('user_id') ?? '',
    audience: f.get('audience') ?? '',
    familyId: f.get('family_id') ?? '',
    apiKeyId: f.get('api_key_id') ?? '',
    watermark: Number(f.get('watermark') ?? 0),
    revokedAtMs: Number(f.get('revoked_at_ms') ?? 0),
  };
}

/**
 * Revocation events in one Redis stream per tenant (`te:{T}:events`, written by the
 * token store's scripts). Reads go over the shared connection; each tail gets a
 * connection of its own, because a blocking XREAD holds its connection until it answers.
 */
export class RedisRevocationEventLog implements RevocationEventLog {
  constructor(private readonly redis: RedisClient) {}

  async read(policy: TenantStorePolicy, from: EventPosition, limit: number): Promise<EventPage> {
    const key = new TenantKeys(policy.tenantId).events();
    if ('since' in from) {
      const start = String(Math.max(0, Math.floor(from.since)));
      const entries = (await guarded(() => this.redis.xrange(key, start, '+', 'COUNT', limit))) as StreamEntry[];
      return { kind: 'events', events: entries.map(parseEvent) };
    }
    // The cursor itself comes first when it is still there: that proves nothing after it
    // was trimmed (a stream is only ever trimmed from its oldest end).
    const entries = (await guarded(() => this.redis.xrange(key, from.after, '+', 'COUNT', limit + 1))) as StreamEntry[];
    if (entries[0]?.[0] !== from.after) return { kind: 'cursor_unknown' };
    return { kind: 'events', events: entries.slice(1).map(parseEvent) };
  }

  async newest(policy: TenantStorePolicy): Promise<string> {
    const key = new TenantKeys(policy.tenantId).events();
    const [last] = (await guarded(() => this.redis.xrevrange(key, '+', '-', 'COUNT', 1))) as StreamEntry[];
    return last?.[0] ?? '';
  }

  tail(policy: TenantStorePolicy): EventTail {
    return new RedisEventTail(this.redis, new TenantKeys(policy.tenantId).events());
  }
}

/**
 * A blocking reader of one tenant's stream over a duplicate of the store's connection
 * (on a Cluster, a duplicate Cluster client: XREAD goes to the node serving the tenant's
 * slot). The duplicate has no offline queue, like the request path: with Redis away a
 * read fails at once with the store's UNAVAILABLE error instead of waiting.
 */
class RedisEventTail implements EventTail {
  private connection: RedisClient | undefined;
  private connecting: Promise<RedisClient> | undefined;
  private closed = false;

  constructor(
    private readonly base: RedisClient,
    private readonly key: string,
  ) {}

  async next(after: string, blockMs: number): Promise<RevocationEventRecord[]> {
    const connection = await this.connect();
    const block = Math.max(1, Math.min(MAX_BLOCK_MS, Math.floor(blockMs)));
    let reply: [string, StreamEntry[]][] | null;
    try {
      reply = (await guarded(() => connection.xread('BLOCK', block, 'STREAMS', this.key, after === '' ? '0-0' : after))) as
        | [string, StreamEntry[]][]
        | null;
    } catch (err) {
      // Closing disconnects a read in progress: that is its end, not a failure.
      if (this.closed) return [];
      throw err;
    }
    if (this.closed || !reply) return [];
    return (reply[0]?.[1] ?? []).map(parseEvent);
  }

  close(): void {
    this.closed = true;
    this.connection?.disconnect();
    this.connection = undefined;
  }

  private connect(): Promise<RedisClient> {
    if (this.closed) return Promise.reject(new Error('event tail closed'));
    this.connecting ??= (async () => {
      const connection = duplicate(this.base);
      // Errors surface as failed reads; the event only needs a listener.
      connection.on('error', () => undefined);
      try {
        await guarded(() => connection.connect());
      } catch (err) {
        connection.disconnect();
        this.connecting = undefined;
        throw err;
      }
      if (this.closed) {
        connection.disconnect();
        throw new Error('event tail closed');
      }
      this.connection = connection;
      return connection;
    })();
    return this.connecting;
  }
}

/** A new connection like `base` whose commands may block for a tail read. */
function duplicate(base: RedisClient): RedisClient {
  if (base instanceof Cluster) {
    return base.duplicate([], {
      enableAutoPipelining: false,
      lazyConnect: true,
      redisOptions: { ...base.options.redisOptions, commandTimeout: TAIL_COMMAND_TIMEOUT_MS, enableAutoPipelining: false },
    });
  }
  return (base as Redis).duplicate({ commandTimeout: TAIL_COMMAND_TIMEOUT_MS, enableAutoPipelining: false, lazyConnect: true });
}

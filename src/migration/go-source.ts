import { Cluster, ReplyError } from 'ioredis';
import { guarded, type RedisClient } from '../store/redis/client.js';

/** Keys per DEL on a single node. */
const DELETE_CHUNK = 500;

/** What a key read as a hash turned out to be. */
export type HashRead =
  | { readonly kind: 'hash'; readonly fields: Record<string, string> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'other_type' };

/**
 * The Redis the Go service wrote, read key by key: a single node (or the master a
 * Sentinel names) or a Cluster. The Go keys carry no hash tag, so on a Cluster one
 * tenant's keys are spread over every slot: a scan walks every master. Nothing here runs a
 * script or touches two keys in one command, so it works whatever the topology and with
 * the Go service's own ACL grants plus DEL (for `--remove-source`).
 */
export class GoSource {
  constructor(private readonly client: RedisClient) {}

  /**
   * The keys matching `pattern`, one SCAN page at a time, master after master. A key may
   * come twice (SCAN's guarantee); memory holds one page.
   */
  async *scan(pattern: string, count: number): AsyncGenerator<string[]> {
    for (const node of await this.masters()) {
      let cursor = '0';
      do {
        const [next, keys] = await guarded(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', count));
        cursor = next;
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }

  /** The members of a set, one SSCAN page at a time; nothing when the key is not a set. */
  async *setMembers(key: string, count: number): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const page = await this.unlessOtherType(() => this.client.sscan(key, cursor, 'COUNT', count));
      if (page === undefined) return;
      cursor = page[0];
      if (page[1].length > 0) yield page[1];
    } while (cursor !== '0');
  }

  /** The members of a sorted set, one ZSCAN page at a time; nothing when the key is not a sorted set. */
  async *sortedSetMembers(key: string, count: number): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const page = await this.unlessOtherType(() => this.client.zscan(key, cursor, 'COUNT', count));
      if (page === undefined) return;
      cursor = page[0];
      // ZSCAN answers member, score, member, score, …
      const members = page[1].filter((_, i) => i % 2 === 0);
      if (members.length > 0) yield members;
    } while (cursor !== '0');
  }

  async hash(key: string): Promise<HashRead> {
    const fields = await this.unlessOtherType(() => this.client.hgetall(key));
    if (fields === undefined) return { kind: 'other_type' };
    return Object.keys(fields).length === 0 ? { kind: 'absent' } : { kind: 'hash', fields };
  }

  /** A string value; undefined when absent or not a string. */
  async string(key: string): Promise<string | undefined> {
    return (await this.unlessOtherType(() => this.client.get(key))) ?? undefined;
  }

  /** How many of `keys` exist, one answer per key. */
  async exists(keys: readonly string[]): Promise<boolean[]> {
    return Promise.all(keys.map(async (key) => (await guarded(() => this.client.exists(key))) === 1));
  }

  /** Removes members from a set; 0 when the key is not a set. */
  async removeFromSet(key: string, members: readonly string[]): Promise<number> {
    if (members.length === 0) return 0;
    return (await this.unlessOtherType(() => this.client.srem(key, ...members))) ?? 0;
  }

  /** Removes members from a sorted set; 0 when the key is not a sorted set. */
  async removeFromSortedSet(key: string, members: readonly string[]): Promise<number> {
    if (members.length === 0) return 0;
    return (await this.unlessOtherType(() => this.client.zrem(key, ...members))) ?? 0;
  }

  /**
   * Deletes keys; how many existed. On a Cluster one command per key (the keys of a Go
   * tenant lie on every slot), elsewhere a few hundred per command.
   */
  async delete(keys: readonly string[]): Promise<number> {
    const chunks =
      this.client instanceof Cluster
        ? keys.map((key) => [key])
        : Array.from({ length: Math.ceil(keys.length / DELETE_CHUNK) }, (_, i) =>
            keys.slice(i * DELETE_CHUNK, (i + 1) * DELETE_CHUNK),
          );
    const deleted = await Promise.all(chunks.map((chunk) => guarded(() => this.client.del(...chunk))));
    return deleted.reduce((sum, n) => sum + n, 0);
  }

  private async masters(): Promise<RedisClient[]> {
    if (!(this.client instanceof Cluster)) return [this.client];
    const nodes = this.client.nodes('master');
    // A Cluster connects its nodes when it first routes a command to them; SCAN goes to
    // each node directly, so connect those not connected yet.
    await Promise.all(nodes.map((node) => (node.status === 'wait' ? node.connect() : undefined)));
    return nodes;
  }

  /** Runs a command; undefined when Redis answers WRONGTYPE (the key holds another type). */
  private async unlessOtherType<T>(op: () => Promise<T>): Promise<T | undefined> {
    try {
      return await guarded(op);
    } catch (err) {
      if (err instanceof ReplyError && (err as Error).message.startsWith('WRONGTYPE')) return undefined;
      throw err;
    }
  }
}

import { createHash } from 'node:crypto';
import { ReplyError } from 'ioredis';
import { guarded, type RedisClient } from './client.js';

/** A script argument as Redis receives it (numbers are sent as their decimal text). */
export type ScriptArg = string | number;

/** What a Lua script is and how its reply reads. */
export interface ScriptDefinition<Reply> {
  /** For error messages: the script's name in `scripts.ts`, lowercase. */
  readonly name: string;
  /**
   * How many KEYS each call passes, checked at every call; `'any'` for a script whose
   * keys vary per call (one SCAN page).
   */
  readonly keys: number | 'any';
  readonly lua: string;
  /** Turns the raw reply into the typed answer; throws on a reply the script never gives. */
  readonly reply: (raw: unknown) => Reply;
}

/** A defined script: runs on any client (standalone, Sentinel, Cluster) and answers typed. */
export type Script<Reply> = (redis: RedisClient, keys: readonly string[], args: readonly ScriptArg[]) => Promise<Reply>;

/**
 * Defines a Lua script once, for every client. Each call sends `EVALSHA` and, when the
 * server answers NOSCRIPT (a restarted or promoted server, another Cluster node, a
 * `SCRIPT FLUSH`), sends the same call once as `EVAL`, which also caches the script there,
 * so later calls are EVALSHA again. This rather than ioredis's `defineCommand`: that
 * registers a method on each client object at run time, which the type system cannot see
 * (every caller needed a cast), and which every store had to register under a name that
 * no other store may take. Here the script is a typed value and the clients are left as
 * they are. On the wire both cost the same; a server that lost its script cache costs
 * one NOSCRIPT round trip per script. Redis errors go through {@link guarded}: Redis
 * being away is the retryable store error, anything else (a Lua error) is thrown as is.
 */
export function defineScript<Reply>(definition: ScriptDefinition<Reply>): Script<Reply> {
  const { name, keys: keyCount, lua, reply } = definition;
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (redis, keys, args) => {
    if (keyCount !== 'any' && keys.length !== keyCount) {
      throw new Error(`script ${name} takes ${keyCount} keys, was given ${keys.length}`);
    }
    const raw = await guarded(async () => {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return await redis.eval(lua, keys.length, ...keys, ...args);
      }
    });
    return reply(raw);
  };
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err instanceof ReplyError && err.message.startsWith('NOSCRIPT');
}

/** Reads a script's integer reply. */
export function integerReply(name: string): (raw: unknown) => number {
  return (raw) => {
    if (typeof raw !== 'number' || !Number.isInteger(raw)) throw unexpectedReply(name, raw);
    return raw;
  };
}

/** Reads a script's array-of-strings reply (a missing field, Lua false, is `undefined`). */
export function stringsReply(name: string): (raw: unknown) => (string | undefined)[] {
  return (raw) => {
    if (!Array.isArray(raw)) throw unexpectedReply(name, raw);
    return raw.map((item: unknown) => {
      if (item === null) return undefined;
      if (typeof item !== 'string') throw unexpectedReply(name, raw);
      return item;
    });
  };
}

/** The error for a reply the script never gives: a bug, so it becomes INTERNAL. */
export function unexpectedReply(name: string, raw: unknown): Error {
  const shape = Array.isArray(raw) ? `[${raw.map((item: unknown) => typeof item).join(', ')}]` : typeof raw;
  return new Error(`unexpected reply from script ${name}: ${shape}`);
}

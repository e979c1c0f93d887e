import { createHash } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import * as SCRIPTS from '../store/redis/scripts.js';
import { ATTR, errorKind } from './tracing.js';

/**
 * Redis command timings and spans from the `ioredis:command` tracing channel that
 * ioredis ≥ 5.11 publishes (node_modules/ioredis/built/tracing.js, `traceCommand`), so
 * nothing is patched. ioredis publishes when a command is written to the socket and
 * settles it when the reply arrives; commands refused while disconnected are never
 * published. While nobody subscribes, ioredis skips the channel entirely.
 */

/** The message ioredis publishes per command (built/Redis.js `_buildCommandContext`). */
interface RedisCommandMessage {
  readonly command: string;
  /**
   * Arguments after ioredis's own sanitising, which keeps every argument of EVAL/EVALSHA:
   * key names, digests, user ids. Only `args[0]` of a script call (its sha or body) is
   * ever read here, to name the script.
   */
  readonly args: readonly unknown[];
  readonly database?: number;
  readonly serverAddress?: string;
  readonly serverPort?: number;
  error?: unknown;
}

const commandChannel = tracingChannel<unknown, RedisCommandMessage>('ioredis:command');

/** Script body or sha1 → bounded name (`rotate`, `idempotency_claim`, …) of our Lua scripts. */
const SCRIPT_NAMES: ReadonlyMap<unknown, string> = new Map(
  Object.entries(SCRIPTS).flatMap(([name, lua]) => {
    const label = name.toLowerCase();
    return [
      [lua, label],
      [createHash('sha1').update(lua).digest('hex'), label],
    ] as [string, string][];
  }),
);

/** A bounded description of one command: its lowercase name and, for our scripts, the script. */
export interface RedisCommandLabel {
  readonly command: string;
  /** Our script's name for EVAL/EVALSHA (`other` for a script we do not know), else "". */
  readonly script: string;
}

function labelOf(message: RedisCommandMessage): RedisCommandLabel {
  const command = message.command.toLowerCase();
  if (command !== 'eval' && command !== 'evalsha' && command !== 'eval_ro' && command !== 'evalsha_ro')
    return { command, script: '' };
  return { command, script: SCRIPT_NAMES.get(message.args[0]) ?? 'other' };
}

type Subscribers = Parameters<typeof commandChannel.subscribe>[0];

/** Calls `onDone` once per settled command with its own state from `onStart`. */
function subscribe<S>(
  onStart: (message: RedisCommandMessage) => S | undefined,
  onDone: (state: S, failed: unknown) => void,
): () => void {
  const pending = new WeakMap<RedisCommandMessage, S>();
  const finish = (message: RedisCommandMessage): void => {
    const state = pending.get(message);
    if (state === undefined) return;
    pending.delete(message);
    onDone(state, message.error);
  };
  const subscribers: Subscribers = {
    start: (message) => {
      const state = onStart(message);
      if (state !== undefined) pending.set(message, state);
    },
    // `end` follows the synchronous part; only a synchronous throw has set `error` by then.
    end: (message) => {
      if (message.error !== undefined) finish(message);
    },
    asyncStart: () => undefined,
    asyncEnd: finish,
    error: () => undefined,
  };
  commandChannel.subscribe(subscribers);
  return () => {
    commandChannel.unsubscribe(subscribers);
  };
}

/** One settled command, for the latency histogram. */
export interface RedisCommandSample extends RedisCommandLabel {
  readonly outcome: 'ok' | 'error';
  readonly seconds: number;
}

/**
 * Reports every Redis command of this process to `observe`. The channel is process-wide:
 * two apps in one process (tests) each see the other's commands too.
 */
export function subscribeRedisCommandTimings(observe: (sample: RedisCommandSample) => void): () => void {
  return subscribe(
    (message) => ({ label: labelOf(message), started: process.hrtime.bigint() }),
    ({ label, started }, failed) =>
      observe({
        ...label,
        outcome: failed === undefined ? 'ok' : 'error',
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      }),
  );
}

/**
 * A CLIENT span per Redis command issued inside a traced operation (commands outside any
 * span, e.g. readiness pings, get none). Name and attributes: command, script name,
 * database index and server address; never an argument.
 *
 * Parenting follows the active context when ioredis writes the command. With
 * auto-pipelining on, commands queued in the same event-loop turn by several RPCs are
 * written together in the context of the first one, so under concurrency some Redis
 * spans are attached to a neighbouring RPC's trace.
 */
export function subscribeRedisSpans(tracer: Tracer): () => void {
  return subscribe<Span>(
    (message) => {
      const active = context.active();
      if (trace.getSpan(active) === undefined) return undefined;
      const { command, script } = labelOf(message);
      const span = tracer.startSpan(
        script ? `${command.toUpperCase()} ${script}` : command.toUpperCase(),
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [ATTR.dbSystem]: 'redis',
            [ATTR.dbSystemName]: 'redis',
            [ATTR.dbOperationName]: command.toUpperCase(),
            ...(script ? { [ATTR.dbStoredProcedureName]: script } : {}),
            ...(typeof message.database === 'number' ? { [ATTR.dbNamespace]: String(message.database) } : {}),
            ...(message.serverAddress ? { [ATTR.serverAddress]: message.serverAddress } : {}),
            ...(typeof message.serverPort === 'number' ? { [ATTR.serverPort]: message.serverPort } : {}),
          },
        },
        active,
      );
      return span;
    },
    (span, failed) => {
      if (failed !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind(failed) });
      span.end();
    },
  );
}

import type { ClientReadableStream, Metadata, StatusObject } from '@grpc/grpc-js';
import type { RevocationEvent__Output } from '../../src/generated/token/v1/RevocationEvent.js';
import type { TestClient } from './grpc-client.js';

/** A received event with the moment it arrived. */
export interface Received extends RevocationEvent__Output {
  readonly receivedAtMs: number;
}

/** An open WatchRevocations stream of a test, collecting what arrives. */
export interface WatchHandle {
  /** Every event but heartbeats, in arrival order. */
  readonly events: Received[];
  readonly heartbeats: Received[];
  /** Resolves at the first heartbeat (the backlog has been sent). */
  readonly caughtUp: Promise<void>;
  /** Resolves with the status the stream ended with. */
  readonly ended: Promise<StatusObject>;
  /** The cursor of the last message (event or heartbeat) that carried one, else ''. */
  lastCursor(): string;
  /** Resolves once `count` events have arrived (rejects if the stream ends first). */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  /** Stops reading (HTTP/2 flow control then holds the server's writes back), and reads again. */
  pause(): void;
  resume(): void;
  cancel(): void;
}

/** Opens WatchRevocations on `client` (with its API key unless `metadata` is given). */
export function openWatch(
  client: TestClient,
  request: { tenant_id: string; after?: string },
  options: { metadata?: Metadata; onEvent?: (event: Received, handle: WatchHandle) => void } = {},
): WatchHandle {
  const call = client.raw.WatchRevocations(
    { after: '', ...request },
    options.metadata ?? client.metadata(),
  ) as ClientReadableStream<RevocationEvent__Output>;
  const events: Received[] = [];
  const heartbeats: Received[] = [];
  let cursor = request.after ?? '';
  let caught: () => void = () => undefined;
  const caughtUp = new Promise<void>((resolve) => {
    caught = resolve;
  });
  const waiters = new Set<() => void>();
  let finished: StatusObject | undefined;
  const ended = new Promise<StatusObject>((resolve) => {
    call.on('status', (s: StatusObject) => {
      finished = s;
      for (const wake of waiters) wake();
      resolve(s);
    });
  });
  // A non-OK status is also emitted as 'error'; the status event above reports it.
  call.on('error', () => undefined);
  const handle: WatchHandle = {
    events,
    heartbeats,
    caughtUp,
    ended,
    lastCursor: () => cursor,
    waitForEvents: (count, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (events.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (finished) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`stream ended (${finished.code} ${finished.details}) after ${events.length} of ${count} events`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${events.length} of ${count} events after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    pause: () => call.pause(),
    resume: () => call.resume(),
    cancel: () => call.cancel(),
  };
  call.on('data', (event: RevocationEvent__Output) => {
    const received = { ...event, receivedAtMs: Date.now() };
    if (event.cursor !== '') cursor = event.cursor;
    if (event.scope === 'heartbeat') {
      heartbeats.push(received);
      caught();
    } else {
      events.push(received);
      options.onEvent?.(received, handle);
    }
    for (const wake of [...waiters]) wake();
  });
  return handle;
}

import type { Clock } from '../clock.js';
import { DomainError, isDomainError } from '../errors.js';
import type { RevocationEvent } from '../generated/token/v1/RevocationEvent.js';
import type { StreamSink } from '../grpc/rpc.js';
import type { Logger } from '../observability/logger.js';
import { type Metrics, WATCH_END_REASONS } from '../observability/metrics.js';
import type { EventTail, RevocationEventLog, RevocationEventRecord, TenantStorePolicy } from '../store/ports.js';
import type { Tenant, TenantRegistry } from '../tenancy/tenants.js';
import { cursorAfter } from './cursor.js';

/** A heartbeat goes out after this long without any message on a stream. */
export const HEARTBEAT_MS = 5_000;
/** Live events one stream may have waiting; one more and the stream is cut (RESOURCE_EXHAUSTED). */
export const STREAM_QUEUE_LIMIT = 1_024;
/** Streams one process serves at most. */
export const MAX_WATCH_STREAMS = 10_000;
/** Events read per backlog page. */
const BACKLOG_PAGE = 500;
/** How long one blocking read of the shared reader waits before it asks again. */
const TAIL_BLOCK_MS = 5_000;

/** What the feed needs; the last three override the defaults above. */
export interface RevocationFeedDeps {
  readonly tenants: TenantRegistry;
  readonly events: RevocationEventLog;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: Pick<Metrics, 'watchStreams' | 'watchStreamsEnded' | 'revocationEventsDelivered' | 'revocationEventLag'>;
  readonly heartbeatMs?: number;
  readonly queueLimit?: number;
  readonly maxStreams?: number;
}

type EndReason = (typeof WATCH_END_REASONS)[number];

/** The wire form of a stored event. */
function wireEvent(e: RevocationEventRecord): RevocationEvent {
  return {
    cursor: e.cursor,
    scope: e.scope,
    user_id: e.userId,
    audience: e.audience,
    family_id: e.familyId,
    api_key_id: e.apiKeyId,
    watermark: e.watermark,
    revoked_at_ms: e.revokedAtMs,
  };
}

/** One open stream's mailbox: live events pushed by its tenant's reader, bounded. */
class Subscription {
  readonly queue: RevocationEventRecord[] = [];
  failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Rejects the send in progress, if any, when the subscription fails. */
  private abortSend: ((err: Error) => void) | undefined;

  constructor(private readonly limit: number) {}

  /** Called by the reader; never blocks. Past the bound the stream is cut, not the reader slowed. */
  push(event: RevocationEventRecord): boolean {
    if (this.failure) return false;
    if (this.queue.length >= this.limit) {
      this.fail(
        new DomainError(
          'stream_overflow',
          `the stream fell more than ${this.limit} events behind; reconnect with the last cursor`,
        ),
      );
      return false;
    }
    this.queue.push(event);
    this.wake?.();
    return true;
  }

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.abortSend?.(err);
    this.wake?.();
  }

  /**
   * Waits for a send, or gives up as soon as the subscription fails: a client that stopped
   * reading holds its send forever, and must not hold the stream's end with it.
   */
  guard(sending: Promise<void>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      const abort = (err: Error): void => reject(err);
      this.abortSend = abort;
      // Only this send's own hook is cleared: the next send may have set its own already.
      const settle = (): void => {
        if (this.abortSend === abort) this.abortSend = undefined;
      };
      sending.then(
        () => {
          settle();
          resolve();
        },
        (err: unknown) => {
          settle();
          reject(err);
        },
      );
    });
  }

  /** Resolves when there is something to do (an event, a failure, the client gone), or after `ms`. */
  waitFor(ms: number, signal: AbortSignal): Promise<void> {
    if (this.queue.length > 0 || this.failure || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}

/**
 * The one reader of a tenant's events in this process: a blocking tail on its own
 * connection, fanning each event out to every subscription of the tenant. It starts with
 * the first subscription and stops with the last.
 */
class TenantReader {
  readonly subscriptions = new Set<Subscription>();
  /** Resolves once the reader knows where the stream ends (it reads on from there). */
  readonly started: Promise<void>;
  private position = '';
  private stopped = false;
  private readonly tail: EventTail;

  constructor(
    events: RevocationEventLog,
    policy: TenantStorePolicy,
    private readonly onEnd: (reader: TenantReader) => void,
  ) {
    this.tail = events.tail(policy);
    this.started = events.newest(policy).then((newest) => {
      this.position = newest;
    });
    this.started.then(
      () => void this.loop(),
      (err: unknown) => this.fail(err),
    );
  }

  stop(): void {
    this.stopped = true;
    this.tail.close();
    this.onEnd(this);
  }

  /** Ends every subscription with `err` and the reader with them; the next subscription starts a new one. */
  fail(err: unknown): void {
    const failure = err instanceof Error ? err : new Error(String(err));
    for (const s of this.subscriptions) s.fail(failure);
    this.subscriptions.clear();
    if (!this.stopped) this.stop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let batch: RevocationEventRecord[];
      try {
        batch = await this.tail.next(this.position, TAIL_BLOCK_MS);
      } catch (err) {
        if (!this.stopped) this.fail(err);
        return;
      }
      for (const event of batch) {
        this.position = event.cursor;
        for (const s of this.subscriptions) if (!s.push(event)) this.subscriptions.delete(s);
      }
    }
  }
}

/**
 * WatchRevocations: every revocation of a tenant, in order, to every open stream. A
 * stream first gets its backlog (events after its cursor, or those of the last
 * access-token lifetime), then a heartbeat that says it is caught up, then live events
 * and a heartbeat after every {@link HEARTBEAT_MS} of silence. Live events come from one
 * shared reader per tenant; each stream has a bounded queue, and a stream that falls
 * behind is cut (RESOURCE_EXHAUSTED) without slowing any other. Streams end UNAVAILABLE
 * when the store fails or the feed closes (shutdown); a client resumes from its last
 * cursor without gaps or duplicates.
 */
export class RevocationFeed {
  private readonly readers = new Map<string, TenantReader>();
  private readonly open = new Set<Subscription>();
  private closed = false;
  private readonly heartbeatMs: number;
  private readonly queueLimit: number;
  private readonly maxStreams: number;

  constructor(private readonly deps: RevocationFeedDeps) {
    this.heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
    this.queueLimit = deps.queueLimit ?? STREAM_QUEUE_LIMIT;
    this.maxStreams = deps.maxStreams ?? MAX_WATCH_STREAMS;
    for (const reason of WATCH_END_REASONS) deps.metrics?.watchStreamsEnded.inc({ reason }, 0);
  }

  /** Streams open now. */
  get streams(): number {
    return this.open.size;
  }

  /** Serves one stream until the client leaves, the store fails, the stream overflows or the feed closes. */
  async watch(tenantId: string, after: string, sink: StreamSink<RevocationEvent>): Promise<void> {
    const tenant = this.deps.tenants.get(tenantId);
    if (!tenant) throw new DomainError('tenant_not_found', `tenant ${tenantId} not found`);
    if (this.closed) throw new DomainError('shutting_down', 'server shutting down; reconnect');
    if (this.open.size >= this.maxStreams) {
      throw new DomainError('too_many_streams', 'too many revocation streams on this replica; retry on another');
    }
    const subscription = new Subscription(this.queueLimit);
    this.open.add(subscription);
    this.deps.metrics?.watchStreams.inc({ tenant_id: tenant.id });
    let reader: TenantReader | undefined;
    let ended: EndReason = 'client';
    // A client that leaves while a write to it is stuck must not keep the stream alive.
    const leave = (): void => subscription.fail(new DomainError('call_cancelled', 'stream cancelled'));
    sink.signal.addEventListener('abort', leave, { once: true });
    try {
      reader = this.readerOf(tenant);
      reader.subscriptions.add(subscription);
      await reader.started;
      await this.serve(tenant, after, subscription, sink);
    } catch (err) {
      ended = endReason(err);
      if (ended === 'error') this.deps.log.error({ err, tenant_id: tenant.id }, 'revocation stream failed');
      throw err;
    } finally {
      sink.signal.removeEventListener('abort', leave);
      reader?.subscriptions.delete(subscription);
      if (reader && reader.subscriptions.size === 0) reader.stop();
      this.open.delete(subscription);
      this.deps.metrics?.watchStreams.dec({ tenant_id: tenant.id });
      this.deps.metrics?.watchStreamsEnded.inc({ reason: sink.signal.aborted ? 'client' : ended });
    }
  }

  /** Ends every stream with UNAVAILABLE (shutdown) and refuses new ones. */
  close(): void {
    this.closed = true;
    const shutdown = new DomainError('shutting_down', 'server shutting down; reconnect');
    for (const s of this.open) s.fail(shutdown);
    for (const reader of [...this.readers.values()]) reader.stop();
  }

  private readerOf(tenant: Tenant): TenantReader {
    let reader = this.readers.get(tenant.id);
    if (!reader) {
      reader = new TenantReader(this.deps.events, tenant.storePolicy, (r) => {
        if (this.readers.get(tenant.id) === r) this.readers.delete(tenant.id);
      });
      this.readers.set(tenant.id, reader);
    }
    return reader;
  }

  private async serve(
    tenant: Tenant,
    after: string,
    subscription: Subscription,
    sink: StreamSink<RevocationEvent>,
  ): Promise<void> {
    const { events, clock, metrics } = this.deps;
    const policy = tenant.storePolicy;
    const send = (message: RevocationEvent): Promise<void> => subscription.guard(sink.send(message));
    let position = after;

    // Backlog: what the client has not seen, page by page, with backpressure.
    let from: { after: string } | { since: number } = after ? { after } : { since: clock.now() - tenant.accessTokenTtlMs };
    for (;;) {
      const page = await events.read(policy, from, BACKLOG_PAGE);
      if (page.kind === 'cursor_unknown') {
        throw new DomainError(
          'cursor_unknown',
          'the after cursor is not retained (or was never issued); resubscribe with an empty cursor',
        );
      }
      for (const event of page.events) {
        if (subscription.failure) throw subscription.failure;
        await send(wireEvent(event));
        metrics?.revocationEventsDelivered.inc({ tenant_id: tenant.id });
        position = event.cursor;
      }
      if (page.events.length < BACKLOG_PAGE) break;
      from = { after: position };
    }

    // Caught up: the first heartbeat says so. Then live events, and heartbeats in silence.
    const heartbeat = (): Promise<void> => send({ cursor: position, scope: 'heartbeat', revoked_at_ms: clock.now() });
    await heartbeat();
    let lastBeat = Date.now();
    while (!sink.signal.aborted) {
      await subscription.waitFor(Math.max(1, lastBeat + this.heartbeatMs - Date.now()), sink.signal);
      if (subscription.failure) throw subscription.failure;
      if (sink.signal.aborted) return;
      while (subscription.queue.length > 0) {
        const event = subscription.queue.shift() as RevocationEventRecord;
        // Events the backlog already sent arrive again from the reader: skip them.
        if (!cursorAfter(event.cursor, position)) continue;
        await send(wireEvent(event));
        position = event.cursor;
        lastBeat = Date.now();
        metrics?.revocationEventsDelivered.inc({ tenant_id: tenant.id });
        metrics?.revocationEventLag.observe(Math.max(0, clock.now() - event.revokedAtMs) / 1000);
        if (subscription.failure) throw subscription.failure;
      }
      if (Date.now() - lastBeat >= this.heartbeatMs) {
        await heartbeat();
        lastBeat = Date.now();
      }
    }
  }
}

function endReason(err: unknown): EndReason {
  if (isDomainError(err, 'shutting_down')) return 'shutting_down';
  if (isDomainError(err, 'stream_overflow')) return 'overflow';
  if (isDomainError(err, 'store_unavailable')) return 'store_unavailable';
  if (isDomainError(err, 'cursor_unknown')) return 'cursor_unknown';
  if (isDomainError(err, 'call_cancelled')) return 'client';
  return 'error';
}

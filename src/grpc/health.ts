import { protoPath } from 'grpc-health-check';
import * as z from 'zod';
import { DomainError } from '../errors.js';
import { rpcsOf, type StreamSink } from './rpc.js';

/** The proto file of `grpc.health.v1.Health`, loaded beside ours. */
export const HEALTH_PROTO = protoPath;

/** Health serving status (grpc.health.v1; `SERVICE_UNKNOWN` is sent only by Watch). */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service: string;
}
interface HealthCheckResponse {
  status: ServingStatus;
}
/** The health service's methods, in the shape of a generated definition. */
interface HealthDefinition {
  Check: { requestDeserialize(bytes: Buffer): HealthCheckRequest; responseSerialize(value: HealthCheckResponse): Buffer };
  Watch: { requestDeserialize(bytes: Buffer): HealthCheckRequest; responseSerialize(value: HealthCheckResponse): Buffer };
  List: {
    requestDeserialize(bytes: Buffer): Record<string, never>;
    responseSerialize(value: { statuses: Record<string, HealthCheckResponse> }): Buffer;
  };
}

/**
 * Longer service names are refused without being looked at: the names served are short,
 * and a health call needs no credentials, so nothing it sends may grow the process.
 */
export const MAX_SERVICE_NAME_BYTES = 256;
/** Open Watch streams one connection may hold (a probe needs one). */
export const MAX_WATCHES_PER_CONNECTION = 4;
/** Open Watch streams the whole process holds at most, whatever the number of connections. */
export const MAX_WATCHES = 1_000;

/**
 * The serving status of the server (`''`) and of each service it serves. Only those
 * names are answered: any other name is SERVICE_UNKNOWN (Watch) or NOT_FOUND (Check),
 * and nothing about it is kept. Replaces grpc-health-check's implementation, which
 * remembered every name it was ever asked to watch.
 */
export class HealthStatus {
  private serving = false;
  private closed = false;
  private readonly watchers = new Set<() => void>();
  private readonly watchesByConnection = new Map<string, number>();

  /** @param services the names served besides `''` (the whole server). */
  constructor(readonly services: readonly string[]) {}

  /** SERVING or NOT_SERVING for every served name; watchers are told at once. */
  setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
    for (const notify of this.watchers) notify();
  }

  /** The status of `service`, or undefined for a name the server does not serve. */
  statusOf(service: string): ServingStatus | undefined {
    if (service !== '' && !this.services.includes(service)) return undefined;
    return this.serving ? 'SERVING' : 'NOT_SERVING';
  }

  /** Ends every Watch stream (shutdown): their clients reconnect to another replica. */
  close(): void {
    this.closed = true;
    this.serving = false;
    for (const notify of [...this.watchers]) notify();
  }

  /** Streams the status of `service` until the client goes away or the server closes. */
  async watch(service: string, sink: StreamSink<HealthCheckResponse>): Promise<void> {
    const connection = sink.peer;
    const open = this.watchesByConnection.get(connection) ?? 0;
    if (open >= MAX_WATCHES_PER_CONNECTION || this.watchers.size >= MAX_WATCHES) {
      throw new DomainError('too_many_streams', 'too many health watches; close some first');
    }
    this.watchesByConnection.set(connection, open + 1);
    let wake: () => void = () => undefined;
    const notify = (): void => wake();
    sink.signal.addEventListener('abort', notify, { once: true });
    try {
      // Bounded by the caps above, and forgotten when the stream ends: the name itself is
      // never a key of anything kept.
      this.watchers.add(notify);
      let sent: ServingStatus | undefined;
      while (!sink.signal.aborted && !this.closed) {
        const status = this.statusOf(service) ?? 'SERVICE_UNKNOWN';
        if (status !== sent) {
          await sink.send({ status });
          sent = status;
        }
        if (sink.signal.aborted || this.closed) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (this.closed && !sink.signal.aborted) {
        if (sent === 'SERVING') await sink.send({ status: 'NOT_SERVING' });
        throw new DomainError('shutting_down', 'server shutting down; reconnect');
      }
    } finally {
      sink.signal.removeEventListener('abort', notify);
      this.watchers.delete(notify);
      const left = (this.watchesByConnection.get(connection) ?? 1) - 1;
      if (left > 0) this.watchesByConnection.set(connection, left);
      else this.watchesByConnection.delete(connection);
    }
  }
}

const health = rpcsOf<HealthDefinition>('grpc.health.v1.Health');

const HealthCheckRequestSchema = z.object({
  service: z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_SERVICE_NAME_BYTES, {
    message: `service must be at most ${MAX_SERVICE_NAME_BYTES} bytes`,
  }),
});

/** grpc.health.v1.Health: public (no credentials), not traced, counted and logged at debug. */
export const HEALTH_RPCS = [
  health.unary('Check', {
    schema: HealthCheckRequestSchema,
    public: true,
    repeatable: true,
    handle: async (status: HealthStatus, req) => {
      const found = status.statusOf(req.service);
      if (found === undefined) throw new DomainError('service_unknown', 'health status unknown for this service');
      return { status: found };
    },
  }),
  health.serverStream('Watch', {
    schema: HealthCheckRequestSchema,
    public: true,
    repeatable: true,
    handle: (status: HealthStatus, req, sink) => status.watch(req.service, sink),
  }),
  health.unary('List', {
    schema: z.object({}),
    public: true,
    repeatable: true,
    handle: async (status: HealthStatus) => ({
      statuses: Object.fromEntries(
        ['', ...status.services].map((name) => [name, { status: status.statusOf(name) ?? 'UNKNOWN' }]),
      ),
    }),
  }),
];

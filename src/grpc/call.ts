import { Metadata, status as Status, type ServerUnaryCall } from '@grpc/grpc-js';
import type { RequestContext } from '../observability/context.js';
import type { BoundRpc, Caller, CallInfo, RpcDescriptor } from './rpc.js';
import { toStatus } from './status.js';

/** What the transport knows of the peer (its TLS certificate under mTLS). */
export type TransportAuth = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;

/** Whether the client is gone, and an AbortSignal for code that waits on it. */
export interface Cancellation {
  readonly cancelled: boolean;
  readonly signal: AbortSignal;
}

/** What grpc-js tells of a call's cancellation: a flag, and the event that sets it. */
interface CancellableCall {
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The cancellation of a grpc-js call, its AbortSignal made on first use. Most calls never
 * ask for one, and grpc-js reports every call cancelled once its stream closes, even after
 * a normal answer: an eager signal cost each call a controller, a listener and an abort
 * with its DOMException.
 */
export class CallCancellation implements Cancellation {
  private controller: AbortController | undefined;

  constructor(private readonly call: CancellableCall) {}

  get cancelled(): boolean {
    return this.call.cancelled;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.call.cancelled) controller.abort();
      else this.call.once('cancelled', () => controller.abort());
    }
    return this.controller.signal;
  }
}

/**
 * One RPC on its way through the chain: what arrived, what the steps learned about it,
 * and the headers to answer with. It is also the request context every log line of the
 * call reads (`src/observability/context.ts`), so a call has exactly one such object.
 */
export class RpcCall implements RequestContext, CallInfo {
  /** Set by the correlation step: the caller's id when acceptable, else a new one. */
  correlationId = '';
  /** Set by authentication (absent for public methods). */
  callerIdentity?: string;
  /** The validated request (set by validation); the handler receives it. */
  request: unknown;
  /** Sent as response headers on every outcome (correlation id, idempotent replay, retry hint). */
  readonly responseHeaders = new Metadata();
  /** Sent as trailers when the call fails (the retry hint: clients read it from the error's metadata). */
  readonly errorTrailers = new Metadata();
  /** Writes one message of a server stream (set by the stream adapter; absent for unary calls). */
  send?: (message: unknown) => Promise<void>;
  readonly rpc: RpcDescriptor;
  readonly service: unknown;
  private readonly cancellation: Cancellation;

  constructor(
    bound: BoundRpc,
    /** Incoming metadata. */
    readonly metadata: Metadata,
    /** The wire message as decoded, before validation. */
    readonly message: unknown,
    cancellation: AbortSignal | Cancellation,
    readonly peer: string,
    private readonly authContext: () => TransportAuth,
  ) {
    this.rpc = bound.rpc;
    this.service = bound.service;
    this.cancellation =
      cancellation instanceof AbortSignal
        ? {
            get cancelled() {
              return cancellation.aborted;
            },
            signal: cancellation,
          }
        : cancellation;
  }

  /** Aborted when the client cancels or the deadline passes. */
  get signal(): AbortSignal {
    return this.cancellation.signal;
  }

  get method(): string {
    return this.rpc.path;
  }

  get caller(): Caller {
    return { identity: this.callerIdentity ?? '' };
  }

  /**
   * The status the call ends with, given what the chain threw (undefined: it returned):
   * CANCELLED once the client is gone, whatever the handler did.
   */
  outcome(failure?: unknown): Status {
    if (this.cancellation.cancelled) return Status.CANCELLED;
    return failure === undefined ? Status.OK : toStatus(failure).code;
  }

  /** The transport's view of the peer (TLS client certificate for mTLS). */
  transport(): TransportAuth {
    return this.authContext();
  }
}

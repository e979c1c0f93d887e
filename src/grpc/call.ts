import { Metadata, status as Status, type ServerUnaryCall } from '@grpc/grpc-js';
import type { RequestContext } from '../observability/context.js';
import type { BoundRpc, Caller, CallInfo, RpcDescriptor } from './rpc.js';
import { toStatus } from './status.js';

/** What the transport knows of the peer (its TLS certificate under mTLS). */
export type TransportAuth = ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;

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

  constructor(
    bound: BoundRpc,
    /** Incoming metadata. */
    readonly metadata: Metadata,
    /** The wire message as decoded, before validation. */
    readonly message: unknown,
    readonly signal: AbortSignal,
    readonly peer: string,
    private readonly authContext: () => TransportAuth,
  ) {
    this.rpc = bound.rpc;
    this.service = bound.service;
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
    if (this.signal.aborted) return Status.CANCELLED;
    return failure === undefined ? Status.OK : toStatus(failure).code;
  }

  /** The transport's view of the peer (TLS client certificate for mTLS). */
  transport(): TransportAuth {
    return this.authContext();
  }
}

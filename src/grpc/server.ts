import {
  Server,
  status as Status,
  type ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { DomainError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { ATTR, tokenEngineTracer } from '../observability/tracing.js';
import { CallCancellation, RpcCall } from './call.js';
import type { Step } from './interceptors/step.js';
import { compose } from './interceptors/step.js';
import type { BoundRpc } from './rpc.js';
import { statusName, toServiceError, toStatus } from './status.js';

/** Request messages above this are refused by the transport. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const SERVICE_NAME = 'token.v1.TokenEngine';
/**
 * HTTP/2 streams (calls) one connection may have open at once, announced in the server's
 * SETTINGS; a client holds further calls back until one ends. It bounds the buffers and
 * handlers a single connection can make the process hold, and is far above what a normal
 * client keeps in flight on one connection (a call here takes about a millisecond).
 */
export const MAX_CONCURRENT_STREAMS = 1_000;

export interface GrpcServerOptions {
  /** The chain every call goes through, outermost first (`interceptors/index.ts`). */
  readonly steps: readonly Step[];
  /** Every method served, with its service. */
  readonly rpcs: readonly BoundRpc[];
  /** The loaded protos: service definitions for `rpcs`, and what reflection describes. */
  readonly packageDefinition: PackageDefinition;
  readonly log: Logger;
  readonly reflection: boolean;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  readonly tracer?: Tracer;
}

/** A gRPC server serving every descriptor through the chain, and optional reflection. */
export function createGrpcServer(options: GrpcServerOptions): Server {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
    // No channelz service is served, so its per-call bookkeeping (a tracker object of
    // closures, timestamps and counters for every call) would only cost.
    'grpc.enable_channelz': 0,
  });
  const run = compose(options.steps, handlerStep(options.log, options.tracer ?? tokenEngineTracer()));
  const byService = new Map<string, UntypedServiceImplementation>();
  for (const bound of options.rpcs) {
    const { service, method, kind } = bound.rpc;
    const handlers = byService.get(service) ?? {};
    handlers[method] = kind === 'unary' ? unaryHandler(bound, run) : streamHandler(bound, run);
    byService.set(service, handlers);
  }
  for (const [service, handlers] of byService) {
    const definition = options.packageDefinition[service];
    // A message type definition has a `format`; a service definition is a map of methods.
    if (!definition || 'format' in definition) throw new Error(`no proto service ${service} is loaded`);
    server.addService(definition, handlers);
  }
  if (options.reflection) new ReflectionService(options.packageDefinition).addToServer(server);
  return server;
}

/**
 * The innermost step: the handler, in an INTERNAL span named after the method (a
 * failure sets the span's status to the gRPC code name, never the error's message).
 * Unexpected errors are logged here with the correlation id; the caller sees INTERNAL
 * with no detail.
 */
function handlerStep(log: Logger, tracer: Tracer): (call: RpcCall) => Promise<unknown> {
  return (call) =>
    tracer.startActiveSpan(call.rpc.method, { kind: SpanKind.INTERNAL }, async (span) => {
      try {
        return await invoke(call);
      } catch (err) {
        const { expected, code } = toStatus(err);
        if (!expected) log.error({ err, method: call.rpc.path }, 'unexpected error in handler');
        else if (code === Status.UNAVAILABLE)
          log.warn({ err: (err as Error).cause ?? err, method: call.rpc.path }, 'dependency unavailable');
        span.setAttribute(ATTR.rpcGrpcStatusCode, code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: statusName(code) });
        throw err;
      } finally {
        span.end();
      }
    });
}

function invoke(call: RpcCall): Promise<unknown> {
  const { rpc, service, send } = call;
  if (rpc.kind === 'unary') return rpc.handle(service, call.request, call);
  if (!send) throw new Error(`${rpc.path} is a stream but the call has no sink`);
  return rpc.handle(service, call.request, { caller: call.caller, peer: call.peer, signal: call.signal, send });
}

/** The one adapter from the async chain to grpc-js's unary callback; response headers go out on every outcome. */
function unaryHandler(bound: BoundRpc, run: (call: RpcCall) => Promise<unknown>) {
  return (serverCall: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const call = new RpcCall(
      bound,
      serverCall.metadata,
      serverCall.request,
      new CallCancellation(serverCall),
      serverCall.getPeer(),
      () => serverCall.getAuthContext(),
    );
    run(call).then(
      (response) => {
        serverCall.sendMetadata(call.responseHeaders);
        callback(null, response);
      },
      (err: unknown) => {
        serverCall.sendMetadata(call.responseHeaders);
        callback(toServiceError(err, call.errorTrailers));
      },
    );
  };
}

/** The adapter for server-streaming methods: the handler writes; its end (or error) ends the stream. */
function streamHandler(bound: BoundRpc, run: (call: RpcCall) => Promise<unknown>) {
  return (serverCall: ServerWritableStream<unknown, unknown>): void => {
    const call = new RpcCall(
      bound,
      serverCall.metadata,
      serverCall.request,
      new CallCancellation(serverCall),
      serverCall.getPeer(),
      () => serverCall.getAuthContext(),
    );
    let headersSent = false;
    const sendHeaders = (): void => {
      if (headersSent) return;
      headersSent = true;
      serverCall.sendMetadata(call.responseHeaders);
    };
    call.send = (message) =>
      new Promise<void>((resolve, reject) => {
        if (call.signal.aborted) return reject(new DomainError('call_cancelled', 'stream cancelled'));
        sendHeaders();
        serverCall.write(message, (err: Error | null | undefined) => (err ? reject(err) : resolve()));
      });
    run(call).then(
      () => {
        sendHeaders();
        serverCall.end();
      },
      (err: unknown) => {
        if (call.signal.aborted) return;
        sendHeaders();
        serverCall.emit('error', toServiceError(err, call.errorTrailers));
      },
    );
  };
}

/** Binds and resolves with the bound port (useful with port 0). */
export function bindGrpcServer(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

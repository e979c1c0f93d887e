import type { Metadata } from '@grpc/grpc-js';
import type * as z from 'zod';

/**
 * RPC descriptors: every fact about one method in one place. A feature declares its
 * methods (e.g. `src/tokens/rpcs.ts`); the gRPC layer serves, validates, authorizes and
 * makes idempotent whatever descriptors it is given (`src/grpc/server.ts`), and the
 * client SDK and CLI read the same list (`src/grpc/catalog.ts`). Adding an RPC is one
 * descriptor, one use-case method, and their tests.
 */

/** Who is calling, as authentication established it. */
export interface Caller {
  readonly identity: string;
}

/** What a handler may know about its call besides the request. */
export interface CallInfo {
  readonly caller: Caller;
  /** The client's address as the transport sees it: one value per connection. */
  readonly peer: string;
  /** Aborted when the client cancels or the deadline passes. */
  readonly signal: AbortSignal;
  /** Unary calls: headers sent with the answer, whatever the outcome (e.g. `dpop-nonce`). */
  readonly responseHeaders?: Metadata;
  /** Unary calls: trailers sent when the call fails. */
  readonly errorTrailers?: Metadata;
}

/** What a server-streaming handler writes to. */
export interface StreamSink<Res> extends CallInfo {
  /** Sends one message; resolves when the transport can take more (backpressure). */
  send(message: Res): Promise<void>;
}

/**
 * Idempotency keys (`x-idempotency-key`, or the deprecated `idempotency_key` field)
 * make a retried call replay the first answer. The fingerprint is the request content
 * a replay must match: a key reused with different content is refused.
 */
export interface IdempotencySpec<Wire, Service = unknown, Res = unknown> {
  fingerprint(message: Wire): unknown;
  /**
   * How long a completed response of this method is replayed, when that should be
   * shorter than TOKEN_ENGINE_IDEMPOTENCY_TTL; after it the key is forgotten.
   */
  replayTtlMs?(service: Service): number;
  /**
   * Runs before a completed response is replayed: throws a DomainError when the response
   * may no longer be handed out (the tokens it carries were revoked since, say).
   */
  checkReplay?(service: Service, message: Wire, response: Res): Promise<void>;
}

interface RpcFacts<Wire, Req, Service = unknown, Res = unknown> {
  /** Full proto service name, e.g. `token.v1.TokenEngine`. */
  readonly service: string;
  /** Method name as in the proto, e.g. `IssueToken`. */
  readonly method: string;
  /** `/token.v1.TokenEngine/IssueToken`: the HTTP/2 path, the metric label and the span name. */
  readonly path: string;
  /** Parses and validates the wire message; the handler sees only what it returns. */
  readonly schema: z.ZodType<Req>;
  /**
   * The tenant the call acts on, for caller authorization (default: the `tenant_id`
   * field). Empty when the message names none; validation then refuses it.
   */
  tenantOf(message: Wire): string;
  /** Present for methods that honour idempotency keys. */
  readonly idempotency?: IdempotencySpec<Wire, Service, Res> | undefined;
  /**
   * Safe for a client to repeat after UNAVAILABLE without an idempotency key: repeating
   * it has the effect of doing it once (revocations, reads).
   */
  readonly repeatable: boolean;
  /** Needs no credentials (health checks). */
  readonly public: boolean;
}

/** A request-response method. */
export interface UnaryRpc<Service, Wire, Req, Res> extends RpcFacts<Wire, Req, Service, Res> {
  readonly kind: 'unary';
  handle(service: Service, request: Req, call: CallInfo): Promise<Res>;
}

/** A server-streaming method: the handler writes until it returns or the call ends. */
export interface ServerStreamRpc<Service, Wire, Req, Res> extends RpcFacts<Wire, Req, Service, Res> {
  readonly kind: 'server_stream';
  handle(service: Service, request: Req, sink: StreamSink<Res>): Promise<void>;
}

/** One method of a feature. Handlers are methods, so a list of differently typed descriptors type-checks as one. */
export type RpcDescriptor<Service = unknown, Wire = unknown, Req = unknown, Res = unknown> =
  | UnaryRpc<Service, Wire, Req, Res>
  | ServerStreamRpc<Service, Wire, Req, Res>;

/** A descriptor with the service instance its handler runs on: what the server registers. */
export interface BoundRpc {
  readonly rpc: RpcDescriptor;
  readonly service: unknown;
}

/** Pairs each descriptor of a feature with the feature's service (composition root). */
export function bind<Service>(service: Service, rpcs: readonly RpcDescriptor<Service>[]): BoundRpc[] {
  return rpcs.map((rpc) => ({ rpc, service }));
}

/** What the server receives for a method of a generated definition (proto-loader `__Output`, defaults filled in). */
export type WireIn<M> = M extends { requestDeserialize(bytes: Buffer): infer In } ? In : never;
/** What the server sends for a method of a generated definition. */
export type WireOut<M> = M extends { responseSerialize(value: infer Out): Buffer } ? Out : never;

/** What every descriptor definition may say besides its handler. */
export interface CommonDefinition<Wire, Req> {
  readonly schema: z.ZodType<Req>;
  readonly tenantOf?: (message: Wire) => string;
  readonly repeatable?: boolean;
  readonly public?: boolean;
}

function tenantField(message: unknown): string {
  const tenant = (message as { tenant_id?: unknown } | null)?.tenant_id;
  return typeof tenant === 'string' ? tenant : '';
}

/**
 * Descriptor builders for one proto service, typed from its generated definition: the
 * method name must exist, and the handler must return the method's response message.
 *
 * ```ts
 * const tokenEngine = rpcsOf<TokenEngineDefinition>('token.v1.TokenEngine');
 * export const revokeToken = tokenEngine.unary('RevokeToken', { schema, repeatable: true, handle });
 * ```
 */
/** The descriptor builders of one service (see {@link rpcsOf}). */
export interface RpcBuilders<Def> {
  unary<M extends keyof Def & string, Service, Req>(
    method: M,
    definition: CommonDefinition<WireIn<Def[M]>, Req> & {
      readonly idempotency?: IdempotencySpec<WireIn<Def[M]>, Service, WireOut<Def[M]>>;
      handle(service: Service, request: Req, call: CallInfo): Promise<WireOut<Def[M]>>;
    },
  ): UnaryRpc<Service, WireIn<Def[M]>, Req, WireOut<Def[M]>>;
  serverStream<M extends keyof Def & string, Service, Req>(
    method: M,
    definition: CommonDefinition<WireIn<Def[M]>, Req> & {
      handle(service: Service, request: Req, sink: StreamSink<WireOut<Def[M]>>): Promise<void>;
    },
  ): ServerStreamRpc<Service, WireIn<Def[M]>, Req, WireOut<Def[M]>>;
}

export function rpcsOf<Def>(service: string): RpcBuilders<Def> {
  const facts = <Wire, Req>(method: string, definition: CommonDefinition<Wire, Req>): RpcFacts<Wire, Req> => ({
    service,
    method,
    path: `/${service}/${method}`,
    schema: definition.schema,
    tenantOf: definition.tenantOf ?? tenantField,
    repeatable: definition.repeatable ?? false,
    public: definition.public ?? false,
  });
  return {
    unary<M extends keyof Def & string, Service, Req>(
      method: M,
      definition: CommonDefinition<WireIn<Def[M]>, Req> & {
        readonly idempotency?: IdempotencySpec<WireIn<Def[M]>, Service, WireOut<Def[M]>>;
        handle(service: Service, request: Req, call: CallInfo): Promise<WireOut<Def[M]>>;
      },
    ): UnaryRpc<Service, WireIn<Def[M]>, Req, WireOut<Def[M]>> {
      return { ...facts(method, definition), kind: 'unary', idempotency: definition.idempotency, handle: definition.handle };
    },
    serverStream<M extends keyof Def & string, Service, Req>(
      method: M,
      definition: CommonDefinition<WireIn<Def[M]>, Req> & {
        handle(service: Service, request: Req, sink: StreamSink<WireOut<Def[M]>>): Promise<void>;
      },
    ): ServerStreamRpc<Service, WireIn<Def[M]>, Req, WireOut<Def[M]>> {
      return { ...facts(method, definition), kind: 'server_stream', handle: definition.handle };
    },
  };
}

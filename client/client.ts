import {
  type ApiKeyPage,
  type CreateApiKeyRequest,
  type CreatedApiKey,
  type ExchangeApiKeyRequest,
  type ExchangedToken,
  fromWireApiKeyPage,
  fromWireCreated,
  fromWireExchanged,
  type ListApiKeysRequest,
  type RevokeApiKeyRequest,
  toWireCreateApiKey,
  toWireExchangeApiKey,
  toWireListApiKeys,
  toWireRevokeApiKey,
} from './api-keys.js';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status as Status,
  type CallOptions as GrpcCallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  type requestCallback,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthServiceDefinition } from 'grpc-health-check';
import type { TokenEngineDefinition, TokenEngineClient as WireClient } from '../src/generated/token/v1/TokenEngine.js';
import { TokenEngineError } from './errors.js';
import type { RpcName, WireRequest, WireResponse } from './methods.js';
import { loadClientProto } from './proto.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryable, type RetryEvent, type RetryPolicy } from './retry.js';
import {
  fromWireEvent,
  fromWireTokenPair,
  fromWireValidation,
  toWireIssue,
  toWireRefresh,
  toWireRevokeAudience,
  toWireRevokeToken,
  toWireRevokeUser,
  toWireRevokeUserAndAudience,
  toWireValidate,
  toWireWatch,
  type IssueTokenRequest,
  type RefreshTokenRequest,
  type RevokeAudienceRequest,
  type RevokeTokenRequest,
  type RevokeUserAndAudienceRequest,
  type RevokeUserRequest,
  type RevocationEvent,
  type TokenPair,
  type TokenValidation,
  type ValidateTokenRequest,
  type WatchRevocationsRequest,
  type WireRevocationEvent,
} from './types.js';

/** Deadline of a call when neither the client nor the call names one. */
export const DEFAULT_DEADLINE_MS = 5_000;

/** Metadata keys of the wire contract (doc/API.md, "Metadata"). */
export const HEADERS = {
  apiKey: 'x-api-key',
  correlationId: 'x-correlation-id',
  idempotencyKey: 'x-idempotency-key',
  idempotentReplay: 'x-idempotent-replay',
} as const;

/** PEM material for mTLS: the client certificate and key, and the CA the server's certificate chains to. */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca: string | Buffer;
  /** Name to verify the server certificate against when it differs from the address host. */
  readonly serverName?: string;
}

interface CommonClientOptions {
  /** `host:port` of the gRPC listener. */
  readonly address: string;
  /** Default deadline of every call, retries included (default 5 s). */
  readonly deadlineMs?: number;
  /** Retry bounds for the calls that may be retried (see {@link isRetryable}). */
  readonly retry?: Partial<RetryPolicy>;
  /** Told before each retry; the client waits for it to settle. */
  readonly onRetry?: (event: RetryEvent) => void | Promise<void>;
  /** Extra grpc-js channel options. */
  readonly channelOptions?: ChannelOptions;
}

/**
 * Plaintext gRPC with a static API key (`TOKEN_ENGINE_TLS_MODE=disabled`). The key may only
 * be left out for {@link TokenEngineClient.checkHealth}; RPCs without it are UNAUTHENTICATED.
 */
export interface ApiKeyClientOptions extends CommonClientOptions {
  readonly apiKey?: string;
  readonly tls?: undefined;
}

/** TLS 1.3 with a client certificate (`TOKEN_ENGINE_TLS_MODE=mtls`); the certificate CN is the caller identity. */
export interface MtlsClientOptions extends CommonClientOptions {
  readonly tls: TlsOptions;
  readonly apiKey?: undefined;
}

export type ClientOptions = ApiKeyClientOptions | MtlsClientOptions;

/** Per-call settings. */
export interface CallOptions {
  /** Deadline of this call in ms, retries included; overrides the client's default. */
  readonly deadlineMs?: number;
  /**
   * Sent as `x-correlation-id` (at most 128 of `[A-Za-z0-9._:-]`, or the server makes its
   * own). The client generates one per call when absent, shared by the call's retries.
   */
  readonly correlationId?: string;
  /** Cancels the call (CANCELLED) when aborted. */
  readonly signal?: AbortSignal;
  /** Receives the response headers of a successful call. */
  readonly onHeaders?: (headers: ResponseHeaders) => void;
}

/** Options of IssueToken and RefreshToken, the RPCs that honour idempotency keys. */
export interface IdempotentCallOptions extends CallOptions {
  /**
   * Sent as `x-idempotency-key`: the server answers a repeat of the same request with the
   * same key by replaying the first response, which makes the call safe to retry.
   */
  readonly idempotencyKey?: string;
}

/** Options of a WatchRevocations stream. */
export interface StreamOptions {
  /** Ends the stream when aborted; the iteration then just stops. */
  readonly signal?: AbortSignal;
  /** Sent as `x-correlation-id`; one is generated otherwise. */
  readonly correlationId?: string;
  /** A deadline for the whole stream in ms; none by default (streams are long-lived). */
  readonly deadlineMs?: number;
}

/** What the server said in the response headers. */
export interface ResponseHeaders {
  readonly correlationId: string | undefined;
  /** True when the answer is a replay of an earlier call with the same idempotency key. */
  readonly idempotentReplay: boolean;
  readonly metadata: Metadata;
}

/** gRPC health serving status (grpc.health.v1). */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** A typed token-engine client; every RPC is a promise that rejects with {@link TokenEngineError}. */
export interface TokenEngineClient {
  /**
   * Any unary method by its proto name, with the wire messages (snake_case): every method
   * of the service, including those without a typed method here.
   */
  invoke<M extends RpcName>(method: M, request: WireRequest<M>, options?: IdempotentCallOptions): Promise<WireResponse<M>>;
  issueToken(request: IssueTokenRequest, options?: IdempotentCallOptions): Promise<TokenPair>;
  refreshToken(request: RefreshTokenRequest, options?: IdempotentCallOptions): Promise<TokenPair>;
  revokeToken(request: RevokeTokenRequest, options?: CallOptions): Promise<void>;
  revokeAllForAudience(request: RevokeAudienceRequest, options?: CallOptions): Promise<void>;
  revokeAllUserTokens(request: RevokeUserRequest, options?: CallOptions): Promise<void>;
  revokeAllForUserAndAudience(request: RevokeUserAndAudienceRequest, options?: CallOptions): Promise<void>;
  /**
   * Is this access token active now? Signature, times, issuer, optional audience and
   * revocation, checked by the service: an invalid token is `{ active: false, reason }`,
   * not an error. Safe to retry.
   */
  validateToken(request: ValidateTokenRequest, options?: CallOptions): Promise<TokenValidation>;
  /**
   * A new API key for `owner`; `apiKey` (the secret) is in this answer only. With an
   * `idempotencyKey` a retried create answers the same key instead of making another.
   */
  createApiKey(request: CreateApiKeyRequest, options?: IdempotentCallOptions): Promise<CreatedApiKey>;
  /** One page of an owner's API keys (metadata only). Safe to retry. */
  listApiKeys(request: ListApiKeysRequest, options?: CallOptions): Promise<ApiKeyPage>;
  /** Revokes an API key and the tokens it minted; idempotent. */
  revokeApiKey(request: RevokeApiKeyRequest, options?: CallOptions): Promise<void>;
  /** The API key's secret for a short-lived access token (UNAUTHENTICATED for any bad key). */
  exchangeApiKey(request: ExchangeApiKeyRequest, options?: CallOptions): Promise<ExchangedToken>;
  /**
   * The tenant's revocations as an async iterator: the backlog (after `after`, or the
   * last access-token lifetime), a `heartbeat` once caught up, then every new revocation
   * and a heartbeat in every 5 s of silence. A stream that ends with an error throws
   * {@link TokenEngineError} (UNAVAILABLE: resume with the last cursor; FAILED_PRECONDITION:
   * the cursor is gone, resubscribe without one). Breaking out of the loop, or aborting
   * `signal`, ends the stream.
   */
  watchRevocations(request: WatchRevocationsRequest, options?: StreamOptions): AsyncGenerator<RevocationEvent, void, undefined>;
  /** grpc.health.v1 Check on the same channel (`''` = the whole server); no credentials needed. */
  checkHealth(service?: string, options?: CallOptions): Promise<ServingStatus>;
  /** Closes the channel; later calls reject. */
  close(): void;
}

/** Starts one attempt of a unary call on the channel. */
type Start<Res> = (metadata: Metadata, options: GrpcCallOptions, callback: requestCallback<Res>) => ClientUnaryCall;

type HealthStub = Client & {
  Check(
    request: { service: string },
    metadata: Metadata,
    options: GrpcCallOptions,
    callback: requestCallback<{ status: ServingStatus }>,
  ): ClientUnaryCall;
};

const HealthClient = makeGenericClientConstructor(healthServiceDefinition as unknown as ServiceDefinition, 'Health');

/** grpc-js only accepts printable ASCII in text metadata, and names the value when it refuses. */
const METADATA_VALUE = /^[\x20-\x7e]*$/;

/**
 * Creates a client. `{ address, apiKey }` for plaintext with an API key, or
 * `{ address, tls: { cert, key, ca, serverName? } }` for mTLS.
 */
export function createClient(options: ClientOptions): TokenEngineClient {
  return new GrpcTokenEngineClient(options);
}

class GrpcTokenEngineClient implements TokenEngineClient {
  private readonly stub: WireClient;
  private readonly definition: TokenEngineDefinition;
  private readonly health: HealthStub;
  private readonly apiKey: string | undefined;
  private readonly deadlineMs: number;
  private readonly policy: RetryPolicy;
  private readonly onRetry: ((event: RetryEvent) => void | Promise<void>) | undefined;
  private closed = false;

  constructor(options: ClientOptions) {
    if (typeof options.address !== 'string' || options.address === '') throw new TypeError('address must be host:port');
    if (options.apiKey !== undefined && options.tls !== undefined) {
      throw new TypeError('apiKey and tls are exclusive: the server authenticates by API key only with TLS disabled');
    }
    // The key itself never goes into an error message.
    if (options.apiKey !== undefined && (options.apiKey === '' || !METADATA_VALUE.test(options.apiKey))) {
      throw new TypeError('apiKey must be non-empty printable ASCII');
    }
    this.apiKey = options.apiKey;
    this.deadlineMs = positive(options.deadlineMs, DEFAULT_DEADLINE_MS, 'deadlineMs');
    this.policy = retryPolicy(options.retry);
    this.onRetry = options.onRetry;

    const { channelCredentials, channelOptions } = transport(options);
    const { token } = loadClientProto();
    this.stub = new token.v1.TokenEngine(options.address, channelCredentials, { ...channelOptions, ...options.channelOptions });
    this.definition = token.v1.TokenEngine.service;
    // Health shares the channel: one connection, one close.
    this.health = new HealthClient(options.address, channelCredentials, {
      channelOverride: this.stub.getChannel(),
    }) as unknown as HealthStub;
  }

  invoke<M extends RpcName>(method: M, request: WireRequest<M>, options: IdempotentCallOptions = {}): Promise<WireResponse<M>> {
    const definition = this.definition[method];
    if (definition === undefined || definition.responseStream) throw new TypeError(`${String(method)} is not a unary method`);
    const start: Start<WireResponse<M>> = (metadata, callOptions, callback) =>
      this.stub.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize as (bytes: Buffer) => WireResponse<M>,
        request,
        metadata,
        callOptions,
        callback,
      );
    return this.call(method, start, options);
  }

  async issueToken(request: IssueTokenRequest, options: IdempotentCallOptions = {}): Promise<TokenPair> {
    return fromWireTokenPair(await this.invoke('IssueToken', toWireIssue(request), options));
  }

  async refreshToken(request: RefreshTokenRequest, options: IdempotentCallOptions = {}): Promise<TokenPair> {
    return fromWireTokenPair(await this.invoke('RefreshToken', toWireRefresh(request), options));
  }

  async revokeToken(request: RevokeTokenRequest, options: CallOptions = {}): Promise<void> {
    await this.invoke('RevokeToken', toWireRevokeToken(request), options);
  }

  async revokeAllForAudience(request: RevokeAudienceRequest, options: CallOptions = {}): Promise<void> {
    await this.invoke('RevokeAllForAudience', toWireRevokeAudience(request), options);
  }

  async revokeAllUserTokens(request: RevokeUserRequest, options: CallOptions = {}): Promise<void> {
    await this.invoke('RevokeAllUserTokens', toWireRevokeUser(request), options);
  }

  async revokeAllForUserAndAudience(request: RevokeUserAndAudienceRequest, options: CallOptions = {}): Promise<void> {
    await this.invoke('RevokeAllForUserAndAudience', toWireRevokeUserAndAudience(request), options);
  }

  async validateToken(request: ValidateTokenRequest, options: CallOptions = {}): Promise<TokenValidation> {
    return fromWireValidation(await this.invoke('ValidateToken', toWireValidate(request), options));
  }

  async createApiKey(request: CreateApiKeyRequest, options: IdempotentCallOptions = {}): Promise<CreatedApiKey> {
    return fromWireCreated(await this.invoke('CreateApiKey', toWireCreateApiKey(request), options));
  }

  async listApiKeys(request: ListApiKeysRequest, options: CallOptions = {}): Promise<ApiKeyPage> {
    return fromWireApiKeyPage(await this.invoke('ListApiKeys', toWireListApiKeys(request), options));
  }

  async revokeApiKey(request: RevokeApiKeyRequest, options: CallOptions = {}): Promise<void> {
    await this.invoke('RevokeApiKey', toWireRevokeApiKey(request), options);
  }

  async exchangeApiKey(request: ExchangeApiKeyRequest, options: CallOptions = {}): Promise<ExchangedToken> {
    return fromWireExchanged(await this.invoke('ExchangeApiKey', toWireExchangeApiKey(request), options));
  }

  async *watchRevocations(
    request: WatchRevocationsRequest,
    options: StreamOptions = {},
  ): AsyncGenerator<RevocationEvent, void, undefined> {
    if (this.closed) throw new Error('token-engine client is closed');
    const definition = this.definition.WatchRevocations;
    const correlationId = options.correlationId ?? randomUUID();
    const metadata = new Metadata();
    setText(metadata, HEADERS.correlationId, correlationId, 'correlationId');
    if (this.apiKey !== undefined) metadata.set(HEADERS.apiKey, this.apiKey);
    const deadlineMs = options.deadlineMs === undefined ? undefined : positive(options.deadlineMs, 0, 'deadlineMs');
    const call: ClientReadableStream<WireRevocationEvent> = this.stub.makeServerStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      toWireWatch(request),
      metadata,
      deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + deadlineMs) },
    );
    const signal = options.signal;
    const cancel = (): void => call.cancel();
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call as AsyncIterable<WireRevocationEvent>) yield fromWireEvent(message);
    } catch (err) {
      if (signal?.aborted) return;
      throw TokenEngineError.fromServiceError(err as ServiceError, { method: 'WatchRevocations', attempts: 1, correlationId });
    } finally {
      signal?.removeEventListener('abort', cancel);
      call.cancel();
    }
  }

  async checkHealth(service = '', options: CallOptions = {}): Promise<ServingStatus> {
    const start: Start<{ status: ServingStatus }> = (metadata, callOptions, callback) =>
      this.health.Check({ service }, metadata, callOptions, callback);
    const response = await this.call('Check', start, options, { withCredentials: false });
    return response.status;
  }

  close(): void {
    this.closed = true;
    this.health.close();
    this.stub.close();
  }

  /** One logical call: attempts until success, a non-retryable error, the attempt bound or the deadline. */
  private async call<Res>(
    method: string,
    start: Start<Res>,
    options: IdempotentCallOptions,
    { withCredentials = true } = {},
  ): Promise<Res> {
    if (this.closed) throw new Error('token-engine client is closed');
    const deadline = Date.now() + positive(options.deadlineMs, this.deadlineMs, 'deadlineMs');
    const correlationId = options.correlationId ?? randomUUID();
    const idempotencyKey = options.idempotencyKey;
    const metadata = new Metadata();
    setText(metadata, HEADERS.correlationId, correlationId, 'correlationId');
    if (idempotencyKey !== undefined) setText(metadata, HEADERS.idempotencyKey, idempotencyKey, 'idempotencyKey');
    if (withCredentials && this.apiKey !== undefined) metadata.set(HEADERS.apiKey, this.apiKey);

    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.attempt(method, start, metadata.clone(), { deadline, attempt, correlationId, options });
      } catch (err) {
        if (!(err instanceof TokenEngineError)) throw err;
        if (attempt >= this.policy.maxAttempts || !isRetryable(method, idempotencyKey !== undefined, err.code)) throw err;
        const delayMs = backoffDelayMs(this.policy, attempt);
        if (Date.now() + delayMs >= deadline || options.signal?.aborted) throw err;
        await this.onRetry?.({ method, attempt, delayMs, error: err });
        try {
          await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {});
        } catch {
          throw new TokenEngineError(Status.CANCELLED, 'call cancelled by the caller', {
            method,
            attempts: attempt,
            correlationId,
          });
        }
      }
    }
  }

  private attempt<Res>(
    method: string,
    start: Start<Res>,
    metadata: Metadata,
    ctx: { deadline: number; attempt: number; correlationId: string; options: CallOptions },
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      let headers: Metadata | undefined;
      const signal = ctx.options.signal;
      const call = start(metadata, { deadline: new Date(ctx.deadline) }, (err, response) => {
        signal?.removeEventListener('abort', cancel);
        if (err || response === undefined) {
          const failure: Partial<ServiceError> & Error =
            err ?? Object.assign(new Error('empty response'), { code: Status.INTERNAL });
          const echoed = headerValue(headers, HEADERS.correlationId) ?? headerValue(failure.metadata, HEADERS.correlationId);
          reject(
            TokenEngineError.fromServiceError(failure, {
              method,
              attempts: ctx.attempt,
              correlationId: echoed ?? ctx.correlationId,
              metadata: failure.metadata ?? headers,
            }),
          );
          return;
        }
        const received = headers ?? new Metadata();
        ctx.options.onHeaders?.({
          correlationId: headerValue(received, HEADERS.correlationId),
          idempotentReplay: headerValue(received, HEADERS.idempotentReplay) === 'true',
          metadata: received,
        });
        resolve(response);
      });
      call.on('metadata', (m: Metadata) => {
        headers = m;
      });
      const cancel = (): void => call.cancel();
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}

function transport(options: ClientOptions): { channelCredentials: ChannelCredentials; channelOptions: ChannelOptions } {
  if (options.tls === undefined) return { channelCredentials: credentials.createInsecure(), channelOptions: {} };
  const { cert, key, ca, serverName } = options.tls;
  return {
    channelCredentials: credentials.createSsl(pem(ca), pem(key), pem(cert)),
    channelOptions: serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {},
  };
}

function pem(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    throw new TypeError('retry.maxAttempts must be an integer ≥ 1');
  if (!(policy.initialBackoffMs >= 0) || !(policy.maxBackoffMs >= 0)) throw new TypeError('retry backoff must be ≥ 0 ms');
  return Object.freeze(policy);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number of milliseconds`);
  return value;
}

function setText(metadata: Metadata, key: string, value: string, option: string): void {
  if (!METADATA_VALUE.test(value)) throw new TypeError(`${option} must be printable ASCII`);
  metadata.set(key, value);
}

function headerValue(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

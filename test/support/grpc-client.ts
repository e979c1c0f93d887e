import { credentials, Metadata, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import type { TokenEngineClient } from '../../src/generated/token/v1/TokenEngine.js';
import type { RpcName } from '../../client/methods.js';
import { loadTokenEngineProto } from '../../src/grpc/proto.js';

export type { RpcName } from '../../client/methods.js';

/** What a call returned: the response or the error, and the response headers. */
export interface CallResult<T = Record<string, unknown>> {
  readonly response?: T;
  readonly error?: ServiceError;
  readonly headers: Metadata;
}

/** A real grpc-js client for tests, over plaintext loopback. */
export class TestClient {
  readonly raw: TokenEngineClient;

  constructor(
    address: string,
    private readonly apiKey: string | undefined,
    channel: ChannelCredentials = credentials.createInsecure(),
    options: ChannelOptions = {},
  ) {
    const { proto } = loadTokenEngineProto();
    this.raw = new proto.token.v1.TokenEngine(address, channel, options);
  }

  /** Calls an RPC with the API key (unless `metadata` is given) and never throws. */
  call<T = Record<string, unknown>>(method: RpcName, request: object, metadata?: Metadata): Promise<CallResult<T>> {
    const md = metadata ?? this.metadata();
    return new Promise((resolve) => {
      let headers = new Metadata();
      const fn = (this.raw as unknown as Record<string, (...a: unknown[]) => { on(e: string, l: (m: Metadata) => void): void }>)[
        method
      ];
      if (!fn) throw new Error(`no such method ${method}`);
      const call = fn.call(
        this.raw,
        request,
        md,
        { deadline: Date.now() + 10_000 },
        (error: ServiceError | null, response: T) => {
          resolve(error ? { error, headers } : { response, headers });
        },
      );
      call.on('metadata', (m: Metadata) => {
        headers = m;
      });
    });
  }

  /** Like call, but throws on error and returns the response. */
  async ok<T = Record<string, unknown>>(method: RpcName, request: object, metadata?: Metadata): Promise<T> {
    const result = await this.call<T>(method, request, metadata);
    if (result.error) throw new Error(`${method} failed: ${result.error.code} ${result.error.details}`);
    return result.response as T;
  }

  /** Metadata carrying the API key and any extra headers. */
  metadata(extra: Record<string, string> = {}): Metadata {
    const md = new Metadata();
    if (this.apiKey !== undefined) md.set('x-api-key', this.apiKey);
    for (const [k, v] of Object.entries(extra)) md.set(k, v);
    return md;
  }

  close(): void {
    this.raw.close();
  }
}

export interface WireTokenPair {
  access_token: string;
  refresh_token: string;
  access_token_expires_in: number;
  refresh_token_expires_in: number;
}

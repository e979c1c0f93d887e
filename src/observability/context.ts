import { AsyncLocalStorage } from 'node:async_hooks';

/** What every piece of code inside one RPC may know about it. */
export interface RequestContext {
  readonly correlationId: string;
  /** Full gRPC method path, e.g. `/token.v1.TokenEngine/IssueToken`. */
  readonly method: string;
  /** Set by authentication. */
  callerIdentity?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current request context. */
export function runInRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The current request context, if inside an RPC. */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { ServerInterceptingCall, status as Status, type ServerInterceptor } from '@grpc/grpc-js';
import { currentRequestContext } from '../../observability/context.js';
import { firstValue, isInfrastructureMethod, reject } from './common.js';

export const UNAUTHENTICATED_MESSAGE = 'invalid or missing api key';

/** Finds the caller identity for a presented API key, in constant time per configured key. */
export class StaticKeyAuthenticator {
  private readonly digests: { digest: Buffer; identity: string }[];

  constructor(keys: ReadonlyMap<string, string>) {
    this.digests = [...keys].map(([key, identity]) => ({ digest: sha256(key), identity }));
  }

  /** The identity of the key, or undefined. Every configured key is compared, always. */
  identify(presented: string | undefined): string | undefined {
    if (presented === undefined || presented === '') return undefined;
    const digest = sha256(presented);
    let found: string | undefined;
    for (const entry of this.digests) {
      // Digests have equal length, so timingSafeEqual never throws and leaks no length.
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.identity;
    }
    return found;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The API key from `x-api-key`, or from `authorization: Bearer <key>`. */
export function presentedApiKey(metadata: import('@grpc/grpc-js').Metadata): string | undefined {
  const apiKey = firstValue(metadata, 'x-api-key');
  if (apiKey !== undefined) return apiKey;
  const authorization = firstValue(metadata, 'authorization');
  const match = authorization === undefined ? null : /^Bearer\s+(.+)$/i.exec(authorization);
  return match?.[1];
}

/** Authenticates every RPC but health and reflection with a static API key. */
export function apiKeyAuthenticationInterceptor(authenticator: StaticKeyAuthenticator): ServerInterceptor {
  return (descriptor, call) => {
    if (isInfrastructureMethod(descriptor.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const identity = authenticator.identify(presentedApiKey(metadata));
            if (identity === undefined) return reject(call, Status.UNAUTHENTICATED, UNAUTHENTICATED_MESSAGE);
            const ctx = currentRequestContext();
            if (ctx) ctx.callerIdentity = identity;
            mdNext(metadata);
          },
        });
      },
    });
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ServerInterceptingCall,
  status as Status,
  type Metadata,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import { currentRequestContext } from '../../observability/context.js';
import { ATTR, inSpan, tokenEngineTracer } from '../../observability/tracing.js';
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
export function presentedApiKey(metadata: Metadata): string | undefined {
  const apiKey = firstValue(metadata, 'x-api-key');
  if (apiKey !== undefined) return apiKey;
  const authorization = firstValue(metadata, 'authorization');
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** Finds who is calling, or says why nobody could be identified. */
export type Authenticate = (
  metadata: Metadata,
  call: ServerInterceptingCallInterface,
) => { identity: string } | { problem: string };

/** Static API keys (TOKEN_ENGINE_TLS_MODE=disabled). */
export function apiKeyAuthentication(authenticator: StaticKeyAuthenticator): Authenticate {
  return (metadata) => {
    const identity = authenticator.identify(presentedApiKey(metadata));
    return identity === undefined ? { problem: UNAUTHENTICATED_MESSAGE } : { identity };
  };
}

/**
 * mTLS (TOKEN_ENGINE_TLS_MODE=mtls): the TLS handshake already required and verified the
 * client certificate; the identity is its subject CN, verbatim.
 */
export function clientCertificateAuthentication(
  commonName: (call: ServerInterceptingCallInterface) => string | undefined,
): Authenticate {
  return (_metadata, call) => {
    const cn = commonName(call);
    return cn === undefined ? { problem: 'client certificate Common Name is empty' } : { identity: cn };
  };
}

/**
 * Authenticates every RPC but health and reflection; the identity goes into the request
 * context. The check runs in an `authenticate` span.
 */
export function authenticationInterceptor(authenticate: Authenticate, tracer: Tracer = tokenEngineTracer()): ServerInterceptor {
  return (descriptor, call) => {
    if (isInfrastructureMethod(descriptor.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            const result = inSpan(tracer, 'authenticate', (span) => {
              const outcome = authenticate(metadata, call);
              if ('problem' in outcome) span.setAttribute(ATTR.rpcGrpcStatusCode, Status.UNAUTHENTICATED);
              return outcome;
            });
            if ('problem' in result) return reject(call, Status.UNAUTHENTICATED, result.problem);
            const ctx = currentRequestContext();
            if (ctx) ctx.callerIdentity = result.identity;
            mdNext(metadata);
          },
        });
      },
    });
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import type { TransportAuth } from '../grpc/call.js';
import { DomainError } from '../errors.js';
import { firstValue, HEADER } from '../grpc/metadata.js';

export const UNAUTHENTICATED_MESSAGE = 'invalid or missing api key';

/** Finds who is calling from the call's metadata and transport; throws `unauthenticated` when nobody can be identified. */
export type Authenticate = (metadata: Metadata, peer: () => TransportAuth) => string;

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
  const apiKey = firstValue(metadata, HEADER.apiKey);
  if (apiKey !== undefined) return apiKey;
  const authorization = firstValue(metadata, HEADER.authorization);
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** Static API keys (TOKEN_ENGINE_TLS_MODE=disabled). */
export function apiKeyAuthentication(authenticator: StaticKeyAuthenticator): Authenticate {
  return (metadata) => {
    const identity = authenticator.identify(presentedApiKey(metadata));
    if (identity === undefined) throw new DomainError('unauthenticated', UNAUTHENTICATED_MESSAGE);
    return identity;
  };
}

/**
 * mTLS (TOKEN_ENGINE_TLS_MODE=mtls): the TLS handshake already required and verified the
 * client certificate; the identity is its subject CN, verbatim.
 */
export function clientCertificateAuthentication(commonName: (peer: TransportAuth) => string | undefined): Authenticate {
  return (_metadata, peer) => {
    const cn = commonName(peer());
    if (cn === undefined) throw new DomainError('unauthenticated', 'client certificate Common Name is empty');
    return cn;
  };
}

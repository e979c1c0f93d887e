import type { Metadata } from '@grpc/grpc-js';
import { decodeProtectedHeader } from 'jose';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { DpopReplayStore } from '../store/ports.js';
import { type DpopPolicy, type DpopVerification, type DpopVerifyRequest, verifyDpopProof } from './proof.js';

/** What the service's proof checker is built from. */
export interface DpopVerifierDeps {
  readonly policy: DpopPolicy;
  readonly replay: DpopReplayStore;
  readonly clock: Clock;
  readonly metrics?: Pick<Metrics, 'dpopProofs'> | undefined;
}

/** The response header (gRPC metadata) that carries a fresh server nonce (RFC 9449 §8). */
export const DPOP_NONCE_HEADER = 'dpop-nonce';

/**
 * The service's DPoP proof checker: {@link verifyDpopProof} with the configured policy and
 * the shared replay store, counting every outcome in `token_engine_dpop_proofs_total`.
 */
export class DpopVerifier {
  constructor(private readonly deps: DpopVerifierDeps) {}

  /** Checks a proof; counts the outcome (`accepted`, or the failed check). */
  async verify(request: DpopVerifyRequest): Promise<DpopVerification> {
    const result = await verifyDpopProof(request, this.deps.policy, this.deps);
    this.deps.metrics?.dpopProofs.inc({ result: result.ok ? 'accepted' : result.check });
    return result;
  }

  /**
   * Checks a proof sent to a token endpoint: the key's thumbprint, or INVALID_ARGUMENT
   * `dpop proof invalid: <check>`.
   */
  async thumbprint(request: DpopVerifyRequest): Promise<string> {
    const result = await this.verify(request);
    if (!result.ok) throw new DomainError('dpop_proof_invalid', `dpop proof invalid: ${result.check}`);
    return result.jkt;
  }

  /** The nonce to hand out now, when server nonces are on. */
  nonce(): string | undefined {
    return this.deps.policy.nonces?.current();
  }
}

/** Where a call's response headers go: both on success and, as trailers, on failure. */
export interface NonceSink {
  readonly responseHeaders?: Metadata | undefined;
  readonly errorTrailers?: Metadata | undefined;
}

/**
 * Hands out a fresh server nonce on a call that carried a proof, when nonces are on: in
 * the response headers and in the trailers of a failure (clients read a refusal's
 * metadata), so a client refused for its nonce has the one to use.
 */
export function announceDpopNonce(call: NonceSink, nonce: string | undefined): void {
  if (nonce === undefined) return;
  call.responseHeaders?.set(DPOP_NONCE_HEADER, nonce);
  call.errorTrailers?.set(DPOP_NONCE_HEADER, nonce);
}

/**
 * The key a proof names, as the idempotency fingerprint of a request carrying it: a retry
 * with a fresh proof by the same key replays the first answer, a proof by another key is
 * a different request. `''` when the header cannot be read (the proof is refused anyway).
 */
export function dpopKeyFingerprint(proof: string | undefined): string {
  if (!proof) return '';
  try {
    const jwk = decodeProtectedHeader(proof).jwk;
    if (!jwk) return '';
    return JSON.stringify([jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e]);
  } catch {
    return '';
  }
}

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

/** Bytes of the HMAC kept in a nonce: 128 bits cannot be guessed within one step. */
const MAC_BYTES = 16;
/** Bytes of the step number in a nonce (a big-endian unsigned 64-bit integer). */
const STEP_BYTES = 8;

/**
 * Stateless DPoP server nonces (RFC 9449 §8): a nonce is a time step and the HMAC of that
 * step under a key every replica derives from the same key material, so any replica
 * accepts a nonce another one handed out, and nothing is stored. A nonce is accepted
 * during its own step and the next one, so one handed out at the end of a step still has
 * at least a whole step to be used.
 */
export class DpopNonces {
  private readonly key: Buffer;

  constructor(
    /** Shared key material (TOKEN_ENGINE_KEY_ENCRYPTION_KEY), or undefined for a key of this process only. */
    material: Buffer | undefined,
    private readonly stepMs: number,
    private readonly clock: Clock,
  ) {
    // A key of its own (HKDF with a purpose label): the nonce key never equals the sealing key.
    this.key = material
      ? Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'token-engine dpop nonce', 32))
      : randomBytes(32);
  }

  /** The nonce to hand out now. */
  current(): string {
    return this.nonceOf(this.step());
  }

  /** True when `nonce` was handed out in this step or the previous one. */
  accepts(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== STEP_BYTES + MAC_BYTES || raw.toString('base64url') !== nonce) return false;
    const step = raw.readBigUInt64BE(0);
    const now = BigInt(this.step());
    if (step !== now && step !== now - 1n) return false;
    return timingSafeEqual(raw.subarray(STEP_BYTES), this.mac(step));
  }

  private step(): number {
    return Math.floor(this.clock.now() / this.stepMs);
  }

  private nonceOf(step: number): string {
    const raw = Buffer.alloc(STEP_BYTES);
    raw.writeBigUInt64BE(BigInt(step));
    return Buffer.concat([raw, this.mac(BigInt(step))]).toString('base64url');
  }

  private mac(step: bigint): Buffer {
    const raw = Buffer.alloc(STEP_BYTES);
    raw.writeBigUInt64BE(step);
    return createHmac('sha256', this.key).update(raw).digest().subarray(0, MAC_BYTES);
  }
}

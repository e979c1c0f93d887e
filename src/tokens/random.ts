import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically random bytes from a pooled buffer: one CSPRNG call fills 16 KiB that
 * serve a few hundred tokens, instead of one call per token (a measurable share of
 * IssueToken's CPU). Bytes are handed out once and never reused.
 */
const POOL_SIZE = 16 * 1024;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomBytesPooled(size: number): Buffer {
  if (size > POOL_SIZE) return randomFillSync(Buffer.alloc(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return out;
}

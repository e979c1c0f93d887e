import { describe, expect, it } from 'vitest';
import { randomBytesPooled } from '../../../src/tokens/random.js';

describe('randomBytesPooled', () => {
  it('returns the requested size, never repeats across pool refills, and copies out of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const bytes = randomBytesPooled(32);
      expect(bytes).toHaveLength(32);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(2_000);
    const a = randomBytesPooled(16);
    const before = a.toString('hex');
    randomBytesPooled(16).fill(0);
    expect(a.toString('hex')).toBe(before);
    expect(randomBytesPooled(40_000)).toHaveLength(40_000);
  });
});

import { describe, expect, it } from 'vitest';
import { CURSOR_PATTERN, cursorAfter } from '../../../src/watch/cursor.js';

describe('revocation event cursors', () => {
  it('orders by milliseconds, then by the sequence within one millisecond', () => {
    expect(cursorAfter('1700000000001-0', '1700000000000-5')).toBe(true);
    expect(cursorAfter('1700000000000-6', '1700000000000-5')).toBe(true);
    expect(cursorAfter('1700000000000-5', '1700000000000-5')).toBe(false);
    expect(cursorAfter('1700000000000-4', '1700000000000-5')).toBe(false);
    expect(cursorAfter('1699999999999-9', '1700000000000-0')).toBe(false);
  });

  it('compares beyond the doubles: 20-digit parts are exact', () => {
    expect(cursorAfter('18446744073709551615-1', '18446744073709551615-0')).toBe(true);
    expect(cursorAfter('9007199254740993-0', '9007199254740992-0')).toBe(true);
  });

  it('puts every cursor after the empty one', () => {
    expect(cursorAfter('0-0', '')).toBe(true);
  });

  it('accepts only <ms>-<n> of at most 20 digits each', () => {
    for (const ok of ['0-0', '1700000000000-12', `${'9'.repeat(20)}-${'9'.repeat(20)}`])
      expect(CURSOR_PATTERN.test(ok)).toBe(true);
    for (const bad of ['', '-', '1', '1-', '-1', '1-2-3', 'a-1', '1-a', ' 1-1', `${'9'.repeat(21)}-0`, '$', '+', '(1-0']) {
      expect(CURSOR_PATTERN.test(bad), bad).toBe(false);
    }
  });
});

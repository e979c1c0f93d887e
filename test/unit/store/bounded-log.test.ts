import { describe, expect, it } from 'vitest';
import { BoundedLog } from '../../../src/store/memory/bounded-log.js';

describe('BoundedLog', () => {
  it('keeps the newest items, oldest first, once it wraps around', () => {
    const log = new BoundedLog<number>(3);
    expect(log.last(5)).toEqual([]);
    for (let i = 1; i <= 2; i += 1) log.push(i);
    expect(log.last(5)).toEqual([1, 2]);
    for (let i = 3; i <= 7; i += 1) log.push(i);
    expect(log.length).toBe(3);
    expect(log.last(3)).toEqual([5, 6, 7]);
    expect(log.last(2)).toEqual([6, 7]);
    expect(log.last(0)).toEqual([]);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new BoundedLog(0)).toThrow(RangeError);
    expect(() => new BoundedLog(1.5)).toThrow(RangeError);
  });
});

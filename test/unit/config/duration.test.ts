import { describe, it, expect } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2h45m30.5s', 9_930_500],
    ['30s', 30_000],
    ['720h', 2_592_000_000],
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['0s', 0],
    ['-5m', -300_000],
    ['+5s', 5_000],
    ['1.1s', 1_100],
    ['.5s', 500],
    ['5.s', 5_000],
    ['1us', 0.001],
    ['1\u00b5s', 0.001],
    ['1\u03bcs', 0.001],
    ['10ns', 0.00001],
    ['1ms500us', 1.5],
    ['1h1h', 7_200_000],
    ['9223372036854775807ns', 9_223_372_036_854.775],
  ])('parses %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it('never returns negative zero', () => {
    expect(Object.is(parseDuration('-0s'), 0)).toBe(true);
  });

  it.each([
    '',
    '5',
    '-',
    '+',
    '.',
    '.s',
    'm',
    'abc',
    '5 m',
    ' 5m',
    '5m ',
    '1d',
    '5M',
    '1e3s',
    '1h-5m',
    '1h5',
    '0x10s',
    '9223372036854775808ns',
    '2562048h',
  ])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [86_400_000, '24h'],
    [2_592_000_000, '720h'],
    [5_400_000, '1h30m'],
    [3_605_000, '1h5s'],
    [9_930_500, '2h45m30.5s'],
    [30_500, '30.5s'],
    [60_000, '1m'],
    [1_000, '1s'],
    [300, '300ms'],
    [1.5, '1.5ms'],
    [0, '0s'],
    [-300_000, '-5m'],
    [0.001, '1\u00b5s'],
    [0.0015, '1.5\u00b5s'],
    [0.00001, '10ns'],
  ])('formats %d ms as %j', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([86_400_000, 5_400_000, 9_930_500, 30_500, 300, 1.5, 0.001, 0.00001, -300_000, 1_100])(
    'round-trips %d ms through parseDuration',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );
});

import { describe, it, expect } from 'vitest';
import { acceptCorrelationId, CORRELATION_HEADER } from '../../../src/grpc/interceptors/correlation.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('acceptCorrelationId', () => {
  it('uses the x-correlation-id header name', () => {
    expect(CORRELATION_HEADER).toBe('x-correlation-id');
  });

  it.each([
    ['a plain id', 'fixed-existing-id'],
    ['every allowed punctuation', 'a.b:c_d-1'],
    ['a UUID', '6f1c2a52-8e0b-4c1e-9a57-2b1f0e9d3c44'],
    ['one character', 'x'],
    ['128 characters', 'a'.repeat(128)],
    ['upper and lower case and digits', 'ABCxyz0123456789'],
  ])('keeps %s', (_name, id) => {
    expect(acceptCorrelationId(id)).toBe(id);
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'abc def'],
    ['a newline', 'abc\ndef'],
    ['a trailing newline', 'abc\n'],
    ['a brace', 'abc{def'],
    ['JSON', '{"x":1}'],
    ['non-ASCII', 'idé'],
    ['a slash', 'a/b'],
    ['a tab', 'a\tb'],
    ['log injection', 'id\r\nlevel=error'],
  ])('replaces %s with a fresh UUID v4', (_name, id) => {
    const first = acceptCorrelationId(id);
    const second = acceptCorrelationId(id);
    expect(first).toMatch(UUID_V4);
    expect(second).toMatch(UUID_V4);
    expect(first).not.toBe(second);
    if (id !== undefined) expect(first).not.toBe(id);
  });
});

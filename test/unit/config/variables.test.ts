import { describe, expect, it } from 'vitest';
import { quoteMasked } from '../../../src/config/mask.js';
import { DerivedDefault } from '../../../src/config/variable.js';
import { VARIABLES } from '../../../src/config/variables.js';

describe('the variable table', () => {
  it('writes every plain default in a form its own parser reads back to the same value', () => {
    const ctx = { name: 'X', quote: JSON.stringify };
    let checked = 0;
    for (const v of VARIABLES) {
      if (v.default === undefined || v.default instanceof DerivedDefault) continue;
      const written = v.type.format(v.default as never);
      if (written === '') continue;
      expect(v.type.parse(written, ctx), v.name).toEqual({ ok: true, value: v.default });
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('fills each Config field from one variable at most', () => {
    const fields = VARIABLES.map((v) => v.field).filter((f) => f !== undefined);
    expect(new Set(fields).size).toBe(fields.length);
  });

  it('makes every secret fatal when invalid (a bad secret is never replaced silently)', () => {
    for (const v of VARIABLES.filter((v) => v.secret)) expect(v.onInvalid, v.name).toBe('fatal');
  });
});

describe('quoteMasked', () => {
  it.each([
    ['host:6379', 'host:6379', '"host:6379"'],
    ['user:pw@host:6379', 'user:pw@host:6379', '"***@host:6379"'],
    ['a:b@c@host:1', 'a:b@c@host:1', '"***@host:1"'],
    ['u:p,w@h:1,h2', 'u:p', '"***"'],
    ['u:p,w@h:1,h2', 'w@h:1', '"***@h:1"'],
    ['u:p,w@h:1,h2', 'h2', '"h2"'],
  ])('in %j, %j is quoted as %s', (raw, fragment, expected) => {
    expect(quoteMasked(raw, fragment)).toBe(expected);
  });
});

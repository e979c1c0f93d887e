import { describe, expect, it } from 'vitest';
import { escapeGlob, TenantKeys } from '../../../src/store/redis/keys.js';

describe('tenant key pattern', () => {
  it('escapes every glob metacharacter Redis knows, and only those', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    // Braces are literal to Redis's matcher; escaping them would stop Redis Cluster from
    // narrowing SCAN to the hash tag's slot.
    expect(escapeGlob('te:{abc}:')).toBe('te:{abc}:');
  });

  it('is the tenant prefix (base64url: no glob characters) followed by *', () => {
    expect(new TenantKeys('abc').pattern()).toBe('te:{YWJj}:*');
    expect(new TenantKeys('a*b?[c]\\').pattern()).toBe(`${new TenantKeys('a*b?[c]\\').prefix}*`);
  });
});

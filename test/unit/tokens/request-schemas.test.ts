import { describe, it, expect } from 'vitest';
import type * as z from 'zod';
import { validateRequest } from '../../../src/grpc/fields.js';
import { TOKEN_RPCS } from '../../../src/tokens/rpcs.js';

/** Each token method's request schema, by path, from its descriptor. */
const REQUEST_SCHEMAS = new Map<string, z.ZodType>(TOKEN_RPCS.map((rpc) => [rpc.path, rpc.schema]));

const SERVICE = '/token.v1.TokenEngine/';
const ISSUE = `${SERVICE}IssueToken`;
const REFRESH = `${SERVICE}RefreshToken`;
const REVOKE_TOKEN = `${SERVICE}RevokeToken`;
const REVOKE_AUDIENCE = `${SERVICE}RevokeAllForAudience`;
const REVOKE_USER = `${SERVICE}RevokeAllUserTokens`;
const REVOKE_USER_AUDIENCE = `${SERVICE}RevokeAllForUserAndAudience`;

// A shape-valid refresh token (43 base64url chars).
const TOKEN = 'A'.repeat(43);

/** A valid request per method, as proto-loader decodes it (defaults on). */
const VALID: Record<string, Record<string, unknown>> = {
  [ISSUE]: {
    tenant_id: 'tenant-a',
    sub: 'user-1',
    idempotency_key: '',
    claims: { role: 'admin' },
    audiences: ['api'],
    dpop: null,
  },
  [REFRESH]: { tenant_id: 'tenant-a', refresh_token: TOKEN, idempotency_key: '', claims: {}, dpop: null },
  [REVOKE_TOKEN]: { tenant_id: 'tenant-a', refresh_token: TOKEN },
  [REVOKE_AUDIENCE]: { tenant_id: 'tenant-a', audience: 'api' },
  [REVOKE_USER]: { tenant_id: 'tenant-a', user_id: 'user-1' },
  [REVOKE_USER_AUDIENCE]: { tenant_id: 'tenant-a', user_id: 'user-1', audience: 'api' },
};

/** The identifier fields (non-blank, ≤ 256 bytes) of each method, tenant_id excluded. */
const ID_FIELDS: Record<string, string[]> = {
  [ISSUE]: ['sub'],
  [REFRESH]: [],
  [REVOKE_TOKEN]: [],
  [REVOKE_AUDIENCE]: ['audience'],
  [REVOKE_USER]: ['user_id'],
  [REVOKE_USER_AUDIENCE]: ['user_id', 'audience'],
};

const METHODS = Object.keys(VALID);

function schemaFor(method: string) {
  const schema = REQUEST_SCHEMAS.get(method);
  if (!schema) throw new Error(`no schema for ${method}`);
  return schema;
}

function validate(method: string, overrides: Record<string, unknown> = {}) {
  return validateRequest(schemaFor(method), { ...VALID[method], ...overrides });
}

/** The problem of a request that must be rejected. */
function problemOf(method: string, overrides: Record<string, unknown> = {}): string {
  const result = validate(method, overrides);
  if (result.ok) throw new Error(`expected ${method} with ${JSON.stringify(Object.keys(overrides))} to be rejected`);
  return result.problem;
}

function expectOk(method: string, overrides: Record<string, unknown> = {}): unknown {
  const result = validate(method, overrides);
  expect(result).toMatchObject({ ok: true });
  return result.ok ? result.value : undefined;
}

/** n claims with distinct keys k00.. and the given value. */
function claimsOf(n: number, value = 'v'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${String(i).padStart(2, '0')}`, value]));
}

describe('TOKEN_RPCS', () => {
  it('has exactly one descriptor, with its schema, per TokenEngine method', () => {
    expect([...REQUEST_SCHEMAS.keys()].sort()).toEqual([...METHODS].sort());
  });
});

describe.each(METHODS)('%s', (method) => {
  it('accepts a valid request and returns it parsed', () => {
    const value = expectOk(method);
    expect(value).toEqual(VALID[method]);
  });

  it('rejects an empty tenant_id', () => {
    expect(problemOf(method, { tenant_id: '' })).toBe('tenant_id must not be empty');
  });

  it('rejects a blank tenant_id', () => {
    expect(problemOf(method, { tenant_id: ' \t ' })).toBe('tenant_id must not be empty');
  });

  it('reports tenant_id before any other bad field', () => {
    const everythingBad: Record<string, unknown> = { tenant_id: '' };
    for (const field of Object.keys(VALID[method] ?? {})) {
      if (field === 'tenant_id') continue;
      const current = VALID[method]?.[field];
      everythingBad[field] = typeof current === 'string' ? (field === 'idempotency_key' ? '\n' : '') : current;
    }
    expect(problemOf(method, everythingBad)).toBe('tenant_id must not be empty');
  });

  it('rejects a missing tenant_id naming it', () => {
    const request = { ...VALID[method] };
    delete request['tenant_id'];
    const result = validateRequest(schemaFor(method), request);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain('tenant_id');
  });

  it('limits tenant_id to 256 bytes, not characters', () => {
    expectOk(method, { tenant_id: 'x'.repeat(256) });
    expect(problemOf(method, { tenant_id: 'x'.repeat(257) })).toBe('tenant_id must be at most 256 bytes');
    expectOk(method, { tenant_id: 'é'.repeat(128) }); // 256 bytes
    expect(problemOf(method, { tenant_id: 'é'.repeat(129) })).toBe('tenant_id must be at most 256 bytes'); // 258 bytes
  });

  it('rejects an unknown extra field', () => {
    const result = validate(method, { extra: 'surprise-value' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).not.toContain('surprise-value');
  });

  it('rejects a field of the wrong type naming the field', () => {
    expect(problemOf(method, { tenant_id: 42 })).toContain('tenant_id');
  });

  for (const field of ID_FIELDS[method] ?? []) {
    describe(field, () => {
      it('rejects empty and blank', () => {
        expect(problemOf(method, { [field]: '' })).toBe(`${field} must not be empty`);
        expect(problemOf(method, { [field]: '   ' })).toBe(`${field} must not be empty`);
      });

      it('is limited to 256 bytes, counted in UTF-8', () => {
        expectOk(method, { [field]: 'x'.repeat(256) });
        expect(problemOf(method, { [field]: 'x'.repeat(257) })).toBe(`${field} must be at most 256 bytes`);
        expectOk(method, { [field]: 'é'.repeat(128) });
        expect(problemOf(method, { [field]: 'é'.repeat(129) })).toBe(`${field} must be at most 256 bytes`);
      });

      it('accepts any characters, including separators and braces', () => {
        expect(expectOk(method, { [field]: 'a:b{c}d/é' })).toMatchObject({ [field]: 'a:b{c}d/é' });
      });
    });
  }
});

describe('IssueToken audiences', () => {
  const audiences = (n: number): string[] => Array.from({ length: n }, (_, i) => `aud-${i}`);

  it('accepts none', () => {
    expect(expectOk(ISSUE, { audiences: [] })).toMatchObject({ audiences: [] });
  });

  it('accepts 16 and rejects 17', () => {
    expect(expectOk(ISSUE, { audiences: audiences(16) })).toMatchObject({ audiences: audiences(16) });
    expect(problemOf(ISSUE, { audiences: audiences(17) })).toBe('audiences must have at most 16 entries');
  });

  it('rejects a blank entry naming its index', () => {
    expect(problemOf(ISSUE, { audiences: ['api', ''] })).toBe('audiences[1] must not be empty');
    expect(problemOf(ISSUE, { audiences: [' ', 'api'] })).toBe('audiences[0] must not be empty');
  });

  it('limits each entry to 256 bytes', () => {
    expectOk(ISSUE, { audiences: ['é'.repeat(128)] });
    expect(problemOf(ISSUE, { audiences: ['api', 'é'.repeat(129)] })).toBe('audiences[1] must be at most 256 bytes');
  });

  it('rejects a non-array naming the field', () => {
    expect(problemOf(ISSUE, { audiences: 'api' })).toContain('audiences');
  });
});

describe.each([ISSUE, REFRESH])('%s claims', (method) => {
  it.each(['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti'])('rejects the reserved key %s', (key) => {
    expect(problemOf(method, { claims: { role: 'admin', [key]: 'secret-claim-value' } })).toBe(`claims key "${key}" is reserved`);
  });

  it('accepts 64 claims and rejects 65', () => {
    expect(expectOk(method, { claims: claimsOf(64) })).toMatchObject({ claims: claimsOf(64) });
    expect(problemOf(method, { claims: claimsOf(65) })).toBe('claims must have at most 64 entries');
  });

  it('limits a key to 128 bytes', () => {
    expectOk(method, { claims: { ['k'.repeat(128)]: 'v' } });
    expectOk(method, { claims: { ['é'.repeat(64)]: 'v' } });
    const problem = problemOf(method, { claims: { ['é'.repeat(65)]: 'v' } });
    expect(problem).toBe('claims key must be at most 128 bytes');
    expect(problemOf(method, { claims: { ['k'.repeat(129)]: 'v' } })).toBe('claims key must be at most 128 bytes');
  });

  it('rejects an empty key', () => {
    expect(problemOf(method, { claims: { '': 'v' } })).toBe('claims key must not be empty');
  });

  it('limits a value to 4096 bytes and names the key, not the value', () => {
    expectOk(method, { claims: { note: 'é'.repeat(2048) } });
    const secret = `SECRET${'é'.repeat(2046)}`; // 4098 bytes
    const problem = problemOf(method, { claims: { note: secret } });
    expect(problem).toContain('note');
    expect(problem).toContain('claims');
    expect(problem).not.toContain('SECRET');
    expect(problemOf(method, { claims: { note: 'x'.repeat(4097) } })).toContain('"note"');
  });

  it('limits all claims together to 16 KiB', () => {
    // 4 × (2-byte key + 4094-byte value) = 16384 bytes exactly.
    const atLimit = Object.fromEntries(['k0', 'k1', 'k2', 'k3'].map((k) => [k, 'v'.repeat(4094)]));
    expectOk(method, { claims: atLimit });
    const over = { ...atLimit, k3: 'v'.repeat(4095) };
    expect(problemOf(method, { claims: over })).toBe('claims must be at most 16384 bytes in all');
    expect(problemOf(method, { claims: claimsOf(5, 'x'.repeat(4000)) })).toBe('claims must be at most 16384 bytes in all');
  });

  it('never echoes a claim value', () => {
    const cases: Record<string, string>[] = [
      { sub: 'VALUE-LEAK-1' },
      { big: `VALUE-LEAK-2${'x'.repeat(5000)}` },
      { ...claimsOf(5, `VALUE-LEAK-3${'x'.repeat(4000)}`) },
    ];
    for (const claims of cases) expect(problemOf(method, { claims })).not.toContain('VALUE-LEAK');
  });

  it('rejects a non-string value naming the key', () => {
    const problem = problemOf(method, { claims: { level: 3 } });
    expect(problem).toContain('claims');
    expect(problem).toContain('level');
  });
});

describe.each([REFRESH, REVOKE_TOKEN])('%s refresh_token', (method) => {
  it('rejects empty', () => {
    expect(problemOf(method, { refresh_token: '' })).toBe('refresh_token must not be empty');
  });

  it('accepts up to 512 bytes and rejects more without echoing the token', () => {
    expectOk(method, { refresh_token: 'é'.repeat(256) });
    const token = `TOKENLEAK${'é'.repeat(252)}`; // 513 bytes
    const problem = problemOf(method, { refresh_token: token });
    expect(problem).toBe('refresh_token must be at most 512 bytes');
    expect(problem).not.toContain('TOKENLEAK');
    expect(problemOf(method, { refresh_token: 'x'.repeat(513) })).toBe('refresh_token must be at most 512 bytes');
  });

  it('does not check the token shape (the service answers NOT_FOUND)', () => {
    expectOk(method, { refresh_token: 'garbage' });
  });
});

describe.each([ISSUE, REFRESH])('%s idempotency_key', (method) => {
  it("accepts ''", () => {
    expect(expectOk(method, { idempotency_key: '' })).toMatchObject({ idempotency_key: '' });
  });

  it('accepts up to 256 printable ASCII characters', () => {
    expectOk(method, { idempotency_key: 'k'.repeat(256) });
    expectOk(method, { idempotency_key: ' !~ printable 0-9 ' });
  });

  it('rejects more than 256 characters', () => {
    expect(problemOf(method, { idempotency_key: 'k'.repeat(257) })).toContain('idempotency_key');
  });

  it.each([
    ['a newline', 'key\n'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\x7f'],
    ['NUL', 'a\x00'],
    ['non-ASCII', 'clé'],
  ])('rejects %s', (_name, key) => {
    expect(problemOf(method, { idempotency_key: key })).toContain('idempotency_key');
  });
});

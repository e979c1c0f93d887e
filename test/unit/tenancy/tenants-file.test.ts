import { describe, expect, it } from 'vitest';
import { parseTenantsFile, TenantsFileError } from '../../../src/tenancy/tenants-file.js';

const problems = (text: string): readonly string[] => {
  try {
    parseTenantsFile(text, 'tenants.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(TenantsFileError);
    return (err as TenantsFileError).problems;
  }
  throw new Error('expected the file to be rejected');
};

describe('tenants file', () => {
  it('parses tenants with optional lifetimes and algorithm', () => {
    const tenants = parseTenantsFile(
      'version: 1\ntenants:\n  - id: acme\n    issuer: https://acme.example\n    audience: acme-api\n    access_token_ttl: 10m\n    refresh_token_ttl: 168h\n    signing_alg: ES256\n  - id: globex\n    issuer: globex\n    audience: g\n',
      'tenants.yaml',
    );
    expect(tenants).toEqual([
      {
        id: 'acme',
        issuer: 'https://acme.example',
        audience: 'acme-api',
        accessTokenTtlMs: 600_000,
        refreshTokenTtlMs: 604_800_000,
        signingAlg: 'ES256',
      },
      {
        id: 'globex',
        issuer: 'globex',
        audience: 'g',
        accessTokenTtlMs: undefined,
        refreshTokenTtlMs: undefined,
        signingAlg: undefined,
      },
    ]);
  });

  it('reports every problem at once', () => {
    const found = problems(
      'version: 1\ntenants:\n  - id: ""\n    issuer: x\n    audience: y\n  - id: a\n    issuer: x\n    audience: y\n    signing_alg: HS256\n    access_token_ttl: soon\n  - id: a\n    issuer: x\n    audience: y\n    colour: blue\n',
    );
    expect(found.some((p) => p.includes('tenants[0].id'))).toBe(true);
    expect(found.some((p) => p.includes('signing_alg'))).toBe(true);
    expect(found.some((p) => p.includes('access_token_ttl'))).toBe(true);
    expect(found.some((p) => p.includes('"colour"'))).toBe(true);
  });

  it('rejects duplicate ids, a wrong version, and lifetimes in the wrong order', () => {
    expect(problems('version: 1\ntenants:\n  - {id: a, issuer: x, audience: y}\n  - {id: a, issuer: x, audience: y}\n')).toEqual([
      'tenants[1].id: duplicate tenant "a"',
    ]);
    expect(problems('version: 2\ntenants: []\n')[0]).toContain('version');
    expect(
      problems('version: 1\ntenants:\n  - {id: a, issuer: x, audience: y, access_token_ttl: 2h, refresh_token_ttl: 1h}\n')[0],
    ).toContain('refresh_token_ttl must be longer');
  });

  it('rejects YAML syntax errors and alias bombs', () => {
    expect(problems('version: 1\ntenants: [\n')[0]).toMatch(/^YAML:/);
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ),
    ].join('\n');
    expect(problems(bomb)[0]).toMatch(/^YAML:/);
  });

  it('reads an API-key token lifetime when a tenant sets one', () => {
    const [tenant] = parseTenantsFile(
      'version: 1\ntenants:\n  - id: acme\n    issuer: i\n    audience: a\n    api_key_token_ttl: 2m\n',
      'tenants.yaml',
    );
    expect(tenant?.apiKeyTokenTtlMs).toBe(120_000);
    expect(problems('version: 1\ntenants:\n  - id: acme\n    issuer: i\n    audience: a\n    api_key_token_ttl: 0s\n')).toEqual([
      expect.stringContaining('api_key_token_ttl'),
    ]);
  });
});

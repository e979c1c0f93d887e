import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL, CallerRegistryError, loadCallerRegistry, parseCallerRegistry } from '../../../src/access/caller-registry.js';

const EXAMPLE = `version: 1
callers:
  - identity: billing-svc
    permitted_tenants: [acme]
  - identity: ops-console
    permitted_tenants: [acme, globex]
`;

/** Parses expecting a CallerRegistryError and returns it. */
function invalid(text: string, source = 'callers.yaml'): CallerRegistryError {
  try {
    parseCallerRegistry(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(CallerRegistryError);
    return err as CallerRegistryError;
  }
  throw new Error('parseCallerRegistry did not throw');
}

describe('parseCallerRegistry: valid file', () => {
  const registry = parseCallerRegistry(EXAMPLE, 'callers.yaml');

  it('is a real registry', () => {
    expect(registry.allowsEveryone).toBe(false);
  });

  it.each([
    ['billing-svc', 'acme', true],
    ['billing-svc', 'globex', false],
    ['ops-console', 'acme', true],
    ['ops-console', 'globex', true],
    ['ops-console', 'initech', false],
    ['unknown-svc', 'acme', false],
    ['billing-svc', 'ACME', false],
    ['Billing-svc', 'acme', false],
    ['billing-svc', ' acme', false],
    ['billing-svc', '', false],
    ['', 'acme', false],
  ])('%j on %j → %s', (identity, tenant, expected) => {
    expect(registry.isPermitted(identity, tenant)).toBe(expected);
  });

  it('keeps identities verbatim (a CN is compared exactly)', () => {
    const r = parseCallerRegistry('version: 1\ncallers:\n  - identity: " svc "\n    permitted_tenants: [t]\n', 'x');
    expect(r.isPermitted(' svc ', 't')).toBe(true);
    expect(r.isPermitted('svc', 't')).toBe(false);
  });

  it('does not treat inherited object keys as identities', () => {
    expect(registry.isPermitted('constructor', 'acme')).toBe(false);
    expect(registry.isPermitted('__proto__', 'acme')).toBe(false);
  });

  it('an empty callers list is valid and denies everything', () => {
    const r = parseCallerRegistry('version: 1\ncallers: []\n', 'empty.yaml');
    expect(r.allowsEveryone).toBe(false);
    expect(r.isPermitted('billing-svc', 'acme')).toBe(false);
  });
});

describe('ALLOW_ALL', () => {
  it('permits everyone on every tenant and says so', () => {
    expect(ALLOW_ALL.allowsEveryone).toBe(true);
    expect(ALLOW_ALL.isPermitted('anyone', 'any-tenant')).toBe(true);
  });
});

describe('parseCallerRegistry: invalid files', () => {
  const body = (callers: string): string => `version: 1\ncallers:\n${callers}`;

  it.each([
    ['version 2', 'version: 2\ncallers: []\n', 'version'],
    ['version missing', 'callers: []\n', 'version'],
    ['version as a string', 'version: "1"\ncallers: []\n', 'version'],
    ['callers missing', 'version: 1\n', 'callers'],
    ['callers not a list', 'version: 1\ncallers: {}\n', 'callers'],
    ['empty document', '', 'mapping'],
    ['document is a list', '- version: 1\n', 'mapping'],
    ['empty identity', body('  - identity: ""\n    permitted_tenants: [acme]\n'), 'callers[0].identity'],
    ['blank identity', body('  - identity: "   "\n    permitted_tenants: [acme]\n'), 'callers[0].identity'],
    ['identity not a string', body('  - identity: 42\n    permitted_tenants: [acme]\n'), 'callers[0].identity'],
    ['missing identity', body('  - permitted_tenants: [acme]\n'), 'callers[0].identity'],
    ['missing permitted_tenants', body('  - identity: svc\n'), 'callers[0] (identity "svc").permitted_tenants'],
    [
      'empty permitted_tenants',
      body('  - identity: svc\n    permitted_tenants: []\n'),
      'callers[0] (identity "svc").permitted_tenants',
    ],
    ['permitted_tenants not a list', body('  - identity: svc\n    permitted_tenants: acme\n'), 'permitted_tenants'],
    ['empty tenant string', body('  - identity: svc\n    permitted_tenants: [acme, ""]\n'), 'permitted_tenants[1]'],
    [
      'duplicate identity',
      body('  - identity: svc\n    permitted_tenants: [a]\n  - identity: svc\n    permitted_tenants: [b]\n'),
      'callers[1] (identity "svc").identity: duplicate',
    ],
    ['unknown key in an entry', body('  - identity: svc\n    permitted_tenant: [a]\n'), 'unknown key "permitted_tenant"'],
    ['unknown top-level key', 'version: 1\ncallers: []\nreload: true\n', 'unknown key "reload"'],
    ['YAML syntax error', 'version: 1\ncallers: [\n', 'YAML:'],
    ['duplicate YAML key', 'version: 1\nversion: 1\ncallers: []\n', 'YAML: Map keys must be unique'],
    ['several YAML documents', 'version: 1\ncallers: []\n---\nversion: 1\n', 'YAML:'],
  ])('%s', (_, text, fragment) => {
    const err = invalid(text);
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.problems.join('\n')).toContain(fragment);
    expect(err.message).toMatch(/^caller registry callers\.yaml is invalid:\n {2}- /);
  });

  it('rejects an alias bomb without expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
      'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
      'version: 1',
      'callers: []',
      '',
    ].join('\n');
    const err = invalid(bomb);
    expect(err.problems.join('\n')).toMatch(/YAML: .*alias/i);
  });

  it('reports every problem of a file in one error', () => {
    const err = invalid(
      [
        'version: 2',
        'callers:',
        '  - identity: ""',
        '    permitted_tenants: [acme]',
        '  - identity: billing-svc',
        '    permitted_tenants: []',
        '  - identity: ops-console',
        '    permitted_tenants: [acme, ""]',
        '    role: admin',
        '  - identity: billing-svc',
        '    permitted_tenants: [globex]',
        '',
      ].join('\n'),
    );
    expect(err.problems).toEqual([
      'version: must be 1, got 2',
      'callers[0].identity: must not be empty or blank',
      'callers[1] (identity "billing-svc").permitted_tenants: must list at least one tenant',
      'callers[2] (identity "ops-console").permitted_tenants[1]: must not be empty',
      'callers[2] (identity "ops-console"): unknown key "role"',
      'callers[3] (identity "billing-svc").identity: duplicate, first listed at callers[1]',
    ]);
    expect(err.message.split('\n')).toEqual(['caller registry callers.yaml is invalid:', ...err.problems.map((p) => `  - ${p}`)]);
  });

  it('names the source in the message', () => {
    expect(invalid('version: 3\ncallers: []\n', '/etc/token-engine/callers.yaml').message).toContain(
      'caller registry /etc/token-engine/callers.yaml is invalid:',
    );
  });
});

describe('parseCallerRegistry: rate limits', () => {
  const entry = (limit: string): string =>
    `version: 1\ncallers:\n  - identity: svc\n    permitted_tenants: [acme]\n    rate_limit: ${limit}\n`;

  it('reads a caller rate limit, the burst defaulting to one second of the rate', () => {
    const registry = parseCallerRegistry(
      [
        'version: 1',
        'callers:',
        '  - identity: fast',
        '    permitted_tenants: [acme]',
        '    rate_limit: { per_second: 100, burst: 200 }',
        '  - identity: slow',
        '    permitted_tenants: [acme]',
        '    rate_limit: { per_second: 0.5 }',
        '  - identity: exempt',
        '    permitted_tenants: [acme]',
        '    rate_limit: { per_second: 0 }',
        '  - identity: plain',
        '    permitted_tenants: [acme]',
        '',
      ].join('\n'),
      'callers.yaml',
    );
    expect(registry.rateLimitOf('fast')).toEqual({ perSecond: 100, burst: 200 });
    expect(registry.rateLimitOf('slow')).toEqual({ perSecond: 0.5, burst: 1 });
    expect(registry.rateLimitOf('exempt')).toEqual({ perSecond: 0, burst: 1 });
    expect(registry.rateLimitOf('plain')).toBeUndefined();
    expect(registry.rateLimitOf('stranger')).toBeUndefined();
    expect(registry.lists('plain')).toBe(true);
    expect(registry.lists('stranger')).toBe(false);
  });

  it.each([
    ['a negative rate', '{ per_second: -1 }', 'rate_limit.per_second: must be 0 (unlimited) or between 0.001 and 1000000'],
    ['a rate too small', '{ per_second: 0.0001 }', 'rate_limit.per_second: must be 0 (unlimited) or between 0.001 and 1000000'],
    ['a rate as text', '{ per_second: "100" }', 'rate_limit.per_second: must be a number (calls per second)'],
    ['no rate', '{ burst: 10 }', 'rate_limit.per_second: is required'],
    ['a fractional burst', '{ per_second: 1, burst: 1.5 }', 'rate_limit.burst: must be a whole number of calls'],
    ['a zero burst', '{ per_second: 1, burst: 0 }', 'rate_limit.burst: must be at least 1'],
    ['a burst without a rate', '{ per_second: 0, burst: 5 }', 'rate_limit.burst: burst has no meaning when per_second is 0'],
    ['an unknown key', '{ per_second: 1, per_minute: 60 }', 'rate_limit: unknown key "per_minute"'],
    ['not a mapping', '100', 'rate_limit: must be a mapping with `per_second` and optionally `burst`'],
  ])('refuses %s, naming the caller and the field', (_, limit, fragment) => {
    const err = invalid(entry(limit));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(`callers[0] (identity "svc").${fragment}`);
  });
});

describe('ALLOW_ALL and rate limits', () => {
  it('lists nobody and sets no limit', () => {
    expect(ALLOW_ALL.lists('anyone')).toBe(false);
    expect(ALLOW_ALL.rateLimitOf('anyone')).toBeUndefined();
  });
});

describe('loadCallerRegistry', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'caller-registry-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads and parses a file', async () => {
    const file = join(dir, 'callers.yaml');
    await writeFile(file, EXAMPLE);
    const registry = await loadCallerRegistry(file);
    expect(registry.isPermitted('ops-console', 'globex')).toBe(true);
    expect(registry.isPermitted('billing-svc', 'globex')).toBe(false);
  });

  it('names the file path in validation errors', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'version: 2\ncallers: []\n');
    const err = await loadCallerRegistry(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallerRegistryError);
    expect((err as Error).message).toContain(`caller registry ${file} is invalid:`);
  });

  it('a missing file is an error naming the path and the OS error code', async () => {
    const file = join(dir, 'does-not-exist.yaml');
    const err = await loadCallerRegistry(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallerRegistryError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain('ENOENT');
  });

  it('a directory is an error naming the path', async () => {
    const err = await loadCallerRegistry(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallerRegistryError);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain('EISDIR');
  });
});

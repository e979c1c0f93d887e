import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, CLIENT_DIST, ROOT } from './support/paths.js';
import { runNode } from './support/run-node.js';

interface PackageJson {
  name: string;
  files: string[];
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

describe('the published client entry points', () => {
  it('exports ./client from the built files, with types', () => {
    expect(pkg.exports['./client']).toEqual({
      types: './dist/client/client/index.d.ts',
      default: './dist/client/client/index.js',
    });
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'proto']));
    readFileSync(join(CLIENT_DIST, 'index.js'));
    expect(readFileSync(join(CLIENT_DIST, 'index.d.ts'), 'utf8')).toContain('createClient');
  });

  it('resolves token-engine/client by package name and loads the proto from the built location', async () => {
    // Self-reference: inside the package, its own name resolves through "exports".
    const script = join(ROOT, 'dist', 'client', 'self-reference-check.mjs');
    writeFileSync(
      script,
      [
        "const m = await import('token-engine/client');",
        "const c = m.createClient({ address: '127.0.0.1:1', apiKey: 'k' });",
        'c.close();',
        'console.log(JSON.stringify({ createClient: typeof m.createClient, error: typeof m.TokenEngineError, notFound: m.Status.NOT_FOUND }));',
      ].join('\n'),
    );
    try {
      const run = await runNode(script, []);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual({ createClient: 'function', error: 'function', notFound: 5 });
    } finally {
      rmSync(script, { force: true });
    }
  });

  it('has the CLI as bin token-engine-cli, with a node shebang', () => {
    expect(pkg.bin['token-engine-cli']).toBe('dist/client/client/cli.js');
    expect(join(ROOT, pkg.bin['token-engine-cli'] ?? '')).toBe(CLI);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('keeps dist/main.js as the service entry', () => {
    expect(pkg.exports['.']).toBe('./dist/main.js');
  });
});

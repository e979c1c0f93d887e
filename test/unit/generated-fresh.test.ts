import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const committed = join(root, 'src/generated');

/** Every file below `dir`, as sorted paths relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('src/generated', () => {
  let workDir: string;
  let fresh: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'token-engine-proto-gen-'));
    fresh = join(workDir, 'generated');
    execFileSync(process.execPath, [join(root, 'scripts/proto-gen.mjs'), fresh], { cwd: root, stdio: 'pipe' });
  }, 60_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('has the same files as a fresh proto-gen run', () => {
    const generated = files(fresh);
    expect(generated.length).toBeGreaterThan(0);
    expect(files(committed)).toEqual(generated);
  });

  it('is byte-identical to a fresh proto-gen run (run `npm run proto-gen` to fix)', () => {
    const stale = files(fresh).filter((file) => {
      let current: Buffer;
      try {
        current = readFileSync(join(committed, file));
      } catch {
        return true;
      }
      return !current.equals(readFileSync(join(fresh, file)));
    });
    expect(stale).toEqual([]);
  });

  it('does not depend on where the repository is checked out', () => {
    for (const file of files(fresh)) expect(readFileSync(join(fresh, file), 'utf8')).not.toContain(root);
  });
});

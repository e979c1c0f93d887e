import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_SECTIONS } from '../../../src/docs/generated-sections.js';
import { type GeneratedSection, renderFiles, replaceSection, staleFiles } from '../../../src/docs/sections.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const readRepoFile = (file: string): string => readFileSync(join(root, file), 'utf8');

describe('generated documentation sections', () => {
  it('are all fresh (run `make docs` to fix)', () => {
    expect(GENERATED_SECTIONS.length).toBeGreaterThan(0);
    expect(staleFiles(GENERATED_SECTIONS, readRepoFile)).toEqual([]);
  });

  it('are not empty once rendered', () => {
    for (const { file, fresh } of renderFiles(GENERATED_SECTIONS, readRepoFile)) {
      expect(fresh.split('\n').length, file).toBeGreaterThan(5);
    }
  });
});

describe('staleFiles', () => {
  const section: GeneratedSection = { file: 'doc/X.md', name: 'table', render: () => '| a |\n| b |' };
  const fresh = '# X\n\n<!-- BEGIN GENERATED: table -->\n| a |\n| b |\n<!-- END GENERATED: table -->\n\nafter\n';

  it('accepts a fresh section', () => {
    expect(staleFiles([section], () => fresh)).toEqual([]);
  });

  it('names the file and the fix when a section is stale', () => {
    const stale = fresh.replace('| b |', '| old |');
    expect(staleFiles([section], () => stale)).toEqual([
      'doc/X.md has a stale generated section: run `make docs` and commit the result',
    ]);
  });

  it('fails on a file without the markers, naming the file', () => {
    expect(() => staleFiles([section], () => '# X\n')).toThrow(/doc\/X\.md: expected one "<!-- BEGIN GENERATED: table -->"/);
  });
});

describe('replaceSection', () => {
  it('replaces only the named section and keeps the text around it', () => {
    const text =
      'a\n<!-- BEGIN GENERATED: one -->\nold\n<!-- END GENERATED: one -->\nb\n<!-- BEGIN GENERATED: two -->\nkeep\n<!-- END GENERATED: two -->\n';
    expect(replaceSection(text, 'one', 'new\n')).toBe(
      'a\n<!-- BEGIN GENERATED: one -->\nnew\n<!-- END GENERATED: one -->\nb\n<!-- BEGIN GENERATED: two -->\nkeep\n<!-- END GENERATED: two -->\n',
    );
  });

  it.each([
    ['no markers', 'text'],
    ['end before begin', '<!-- END GENERATED: s -->\n<!-- BEGIN GENERATED: s -->'],
    ['a repeated begin', '<!-- BEGIN GENERATED: s -->\n<!-- BEGIN GENERATED: s -->\n<!-- END GENERATED: s -->'],
    ['a repeated end', '<!-- BEGIN GENERATED: s -->\n<!-- END GENERATED: s -->\n<!-- END GENERATED: s -->'],
  ])('refuses %s', (_, text) => {
    expect(() => replaceSection(text, 's', 'x')).toThrow(/expected one/);
  });
});

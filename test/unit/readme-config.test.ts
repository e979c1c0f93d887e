import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../../src/config/config.js';

/**
 * The configuration table of doc/OPERATIONS.md must list exactly the variables of ENV_VARIABLES with
 * their defaults, so that the documentation cannot drift from the schema.
 */
const README = readFileSync(new URL('../../doc/OPERATIONS.md', import.meta.url), 'utf8');
const NO_DEFAULT = '—';

/** Cells of one Markdown table row; `\|` inside a cell is a literal pipe. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/** The text of a cell without one pair of surrounding backticks. */
function unquoted(cell: string): string {
  const match = /^`([^`]*)`$/.exec(cell);
  return match?.[1] ?? cell;
}

/** The rows of the first table under the `## Configuration` heading, keyed by column name. */
function configurationTable(markdown: string): Record<string, string>[] {
  const lines = markdown.split('\n');
  const heading = lines.findIndex((line) => /^##\s+Configuration\s*$/.test(line));
  if (heading < 0) throw new Error('doc/OPERATIONS.md has no "## Configuration" section');
  const start = lines.findIndex((line, i) => i > heading && line.trim().startsWith('| Variable |'));
  if (start < 0) throw new Error('doc/OPERATIONS.md has no configuration table starting with "| Variable |"');
  const nextHeading = lines.findIndex((line, i) => i > heading && /^##\s/.test(line));
  if (nextHeading >= 0 && nextHeading < start) throw new Error('the configuration table is not in the Configuration section');

  const header = cells(lines[start] ?? '');
  const rows: Record<string, string>[] = [];
  for (let i = start + 2; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (!line.trim().startsWith('|')) break;
    const values = cells(line);
    if (values.length !== header.length) {
      throw new Error(`doc/OPERATIONS.md line ${i + 1} has ${values.length} cells, the header has ${header.length}`);
    }
    rows.push(Object.fromEntries(header.map((name, column) => [name, values[column] ?? ''])));
  }
  return rows;
}

describe('README configuration table', () => {
  const rows = configurationTable(README);

  it('has the documented columns', () => {
    expect(Object.keys(rows[0] ?? {})).toEqual(['Variable', 'Type', 'Default', 'Required', 'On invalid', 'Description']);
  });

  it('lists exactly the variables of ENV_VARIABLES, each once', () => {
    const documented = rows.map((row) => unquoted(row['Variable'] ?? ''));
    expect(new Set(documented).size).toBe(documented.length);
    expect(new Set(documented)).toEqual(new Set(ENV_VARIABLES.map((v) => v.name)));
  });

  it('gives each variable its ENV_VARIABLES default (— when there is none)', () => {
    const byName = new Map(rows.map((row) => [unquoted(row['Variable'] ?? ''), row]));
    for (const variable of ENV_VARIABLES) {
      const cell = byName.get(variable.name)?.['Default'];
      const expected = variable.default === null ? NO_DEFAULT : variable.default;
      expect(cell === undefined ? undefined : unquoted(cell), variable.name).toBe(expected);
    }
  });
});

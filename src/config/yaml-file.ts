/**
 * Shared reading of the YAML configuration files (caller registry, tenants): strict
 * parsing with every problem reported, safe against alias bombs, readable messages.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type * as z from 'zod';

/** A configuration file could not be read or is invalid; lists every problem found. */
export class ConfigFileError extends Error {
  override readonly name: string = 'ConfigFileError';
  readonly problems: readonly string[];
  constructor(heading: string, problems: readonly string[], options?: { cause?: unknown }) {
    super([heading, ...problems.map((p) => `  - ${p.replace(/\n/g, '\n    ')}`)].join('\n'), options);
    this.problems = Object.freeze([...problems]);
  }
}

/** A handful of aliases is plenty for a hand-written file; a billion-laughs document fails fast. */
const MAX_ALIAS_COUNT = 50;

/** Parses YAML into plain data, or the list of syntax problems. */
export function parseYaml(text: string): { ok: true; data: unknown } | { ok: false; problems: string[] } {
  // parseDocument rather than parse: it keeps every syntax error (parse throws the first)
  // and, with logLevel 'error', never writes yaml's warnings to the console.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, logLevel: 'error' });
  if (doc.errors.length > 0) return { ok: false, problems: doc.errors.map((e) => `YAML: ${tidy(e.message)}`) };
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (err) {
    // yaml throws a ReferenceError for excessive or unresolved aliases.
    return { ok: false, problems: [`YAML: ${(err as Error).message}`] };
  }
}

/** Reads a file; unreadable → the error `make` builds from the heading and the reason. */
export async function readConfigFile(
  path: string,
  makeError: (heading: string, problems: string[], cause: unknown) => Error,
  what: string,
): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw makeError(`${what} ${path} cannot be read:`, [`${code}: ${describeReadError(code)}`], err);
  }
}

/** `where: message` for one zod issue; `label` may describe list entries (`callers[2] (identity "x")`). */
export function formatIssue(issue: z.core.$ZodIssue, label: (path: readonly PropertyKey[]) => string = formatPath): string {
  const where = label(issue.path).replace(/^\./, '');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
      : issue.message;
  return where === '' ? message : `${where}: ${message}`;
}

/** `.callers[1].permitted_tenants[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function describeReadError(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return 'the file cannot be read';
  }
}

/** yaml's pretty errors end with blank lines and pad the excerpt with them. */
function tidy(message: string): string {
  return message
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');
}

/**
 * Reading one variable's text: from the environment, or for a secret also from the file
 * that `<NAME>_FILE` names (mounted secrets). Empty and whitespace-only values are unset.
 */
import { readFileSync } from 'node:fs';
import { fileVariable } from './variable.js';

/** The environment as loadConfig reads it (usually `process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a whole file as UTF-8; throws a Node.js system error when it cannot. */
export type ReadFile = (path: string) => string;

/** Start-up reads files synchronously: loadConfig stays synchronous. */
export const readFileUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/** A variable's text: not given, given with a text, or given but unusable (a fatal problem). */
export type Reading =
  | { readonly given: false }
  | { readonly given: true; readonly text: string }
  | { readonly given: true; readonly problem: string };

/** The value when it has something besides whitespace; kept as written (not trimmed). */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The text of `variable`. For a secret, `<NAME>_FILE` may name a file whose content (less
 * one trailing newline) is the value. Problems name the variables and the path, never the
 * content.
 */
export function readVariable(
  env: Env,
  variable: { readonly name: string; readonly secret: boolean },
  readFile: ReadFile,
): Reading {
  const direct = nonEmpty(env[variable.name]);
  const fileName = fileVariable(variable.name);
  const path = variable.secret ? nonEmpty(env[fileName]) : undefined;
  if (path === undefined) return direct === undefined ? { given: false } : { given: true, text: direct };
  if (direct !== undefined) return { given: true, problem: `${variable.name} and ${fileName} are both set; set only one` };
  let content: string;
  try {
    content = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
    return { given: true, problem: `${fileName}: cannot read ${JSON.stringify(path)} (${code})` };
  }
  const text = nonEmpty(content.replace(/\r?\n$/, ''));
  return text === undefined ? { given: true, problem: `${fileName}: ${JSON.stringify(path)} is empty` } : { given: true, text };
}

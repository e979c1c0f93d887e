/**
 * Value types: how the text of one variable becomes a typed value, how a value is written
 * back (defaults in warnings and in the reference) and how the reference names the form.
 * Address, Redis URL and credential types have files of their own.
 */
import * as z from 'zod';
import { otlpEndpointUrl } from '../observability/otlp-config.js';
import { formatDuration, parseDuration } from './duration.js';

/** What a parser knows besides the text: the variable's name and a safe way to quote text. */
export interface ParseContext {
  readonly name: string;
  /** The value, or a part of it, quoted for a message with possible credentials masked. */
  quote(text: string): string;
}

/** A value, or the problems with the text (whole sentences that name the variable). */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

/** How one kind of value is read, written and documented. */
export interface ValueType<T> {
  /** The accepted form as the reference states it (`duration`, `host:port`). */
  readonly describe: string;
  parse(text: string, ctx: ParseContext): Parsed<T>;
  /** The value as it would be written in the environment; `''` reads as "no default". */
  format(value: T): string;
}

/** A successful parse. */
export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

/** A failed parse with its problems. */
export function invalid(...problems: string[]): Parsed<never> {
  return { ok: false, problems };
}

/** `'a', 'b' or 'c'`: a list of alternatives as messages write it. */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** Any text, kept as written (not trimmed). */
export const text: ValueType<string> = { describe: 'string', parse: (value) => ok(value), format: String };

/** A file path; only its presence is checked here, the file is read when it is used. */
export const path: ValueType<string> = { ...text, describe: 'path' };

/**
 * One of a fixed set of words. `expected` replaces the quoted list in the message; `echo`
 * false leaves the value out of it; `ignoreCase` accepts any case.
 */
export function choice<const T extends string>(
  options: readonly T[],
  how: { readonly expected?: string; readonly echo?: boolean; readonly ignoreCase?: boolean } = {},
): ValueType<T> {
  const quoted = options.map((option) => `'${option}'`);
  const expected = how.expected ?? orList(quoted);
  return {
    describe: quoted.join(' | '),
    parse(value, ctx) {
      const candidate = how.ignoreCase ? value.toLowerCase() : value;
      const match = options.find((option) => option === candidate);
      if (match !== undefined) return ok(match);
      return invalid(`${ctx.name} must be ${expected}${how.echo === false ? '' : `, got ${ctx.quote(value)}`}`);
    },
    format: String,
  };
}

/** A comma-separated, non-empty list of words from a fixed set (duplicates dropped, order kept). */
export function choiceList<const T extends string>(options: readonly T[]): ValueType<readonly T[]> {
  const quoted = options.map((option) => `'${option}'`);
  return {
    describe: `comma-separated list of ${quoted.join(' | ')}`,
    parse(value, ctx) {
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      if (items.length === 0) return invalid(`${ctx.name} must name at least one of ${orList(quoted)}`);
      const unknown = items.filter((item) => !options.includes(item as T));
      if (unknown.length > 0) {
        return invalid(`${ctx.name} must list only ${orList(quoted)}, got ${unknown.map((u) => ctx.quote(u)).join(', ')}`);
      }
      return ok(Object.freeze([...new Set(items as T[])]));
    },
    format: (value) => value.join(','),
  };
}

/** A text checked by a zod schema; a failure reads `<name> must be <expected>, got "<value>"`. */
function schemaType<T>(describe: string, schema: z.ZodType<T>, expected: string): ValueType<T> {
  return {
    describe,
    parse(value, ctx) {
      const parsed = schema.safeParse(value);
      return parsed.success ? ok(parsed.data) : invalid(`${ctx.name} must be ${expected}, got ${ctx.quote(value)}`);
    },
    format: String,
  };
}

/** A boolean; Go's strconv.ParseBool spellings t and f are kept so upstream values still work. */
export const bool: ValueType<boolean> = schemaType(
  'bool',
  z.stringbool({ truthy: ['true', '1', 'yes', 't'], falsy: ['false', '0', 'no', 'f'], case: 'insensitive' }),
  'true, false, 1, 0, yes or no',
);

/** A whole number of at least `min`. */
export function intAtLeast(min: number): ValueType<number> {
  const schema = z
    .string()
    .regex(/^[+-]?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(Number.MAX_SAFE_INTEGER));
  return schemaType(`int ≥ ${min}`, schema, `an integer ≥ ${min}`);
}

/** A whole number between `min` and `max`. */
export function intBetween(min: number, max: number): ValueType<number> {
  const schema = z
    .string()
    .regex(/^[+-]?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
  return schemaType(`int ${min}–${max}`, schema, `an integer between ${min} and ${max}`);
}

/** Calls per second: 0 (unlimited), or a decimal number between `min` and `max`. */
export function callRate(min: number, max: number): ValueType<number> {
  const schema = z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number)
    .refine((n) => n === 0 || (n >= min && n <= max));
  return schemaType('calls per second', schema, `0 (unlimited) or a number of calls per second between ${min} and ${max}`);
}

/** Milliseconds per second, minute and hour: how the table writes duration defaults. */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** A positive Go duration (`300ms`, `5m`, `1h30m`), in milliseconds. */
export const duration: ValueType<number> = {
  describe: 'duration',
  parse(value, ctx) {
    const ms = parseDuration(value);
    if (ms === undefined) {
      return invalid(`${ctx.name}: cannot parse ${ctx.quote(value)} as a duration (e.g. 300ms, 5m, 1h30m)`);
    }
    return ms > 0 ? ok(ms) : invalid(`${ctx.name} must be positive, got ${ctx.quote(value)}`);
  },
  format: formatDuration,
};

/** An OTLP collector endpoint: `host:port`, `http://host:port` or `https://host:port`, kept as written. */
export const otlpEndpoint: ValueType<string> = {
  describe: 'url',
  parse: (value, ctx) =>
    otlpEndpointUrl(value.trim()) === undefined
      ? invalid(`${ctx.name} must be host:port, http://host:port or https://host:port`)
      : ok(value),
  format: String,
};

/** A variable that no longer has any effect: any value is reported as ignored. */
export function removed(when: string): ValueType<never> {
  return {
    describe: 'removed',
    parse: (_, ctx) => invalid(`${ctx.name} was removed ${when} and is ignored`),
    format: String,
  };
}

/**
 * The shape of one configuration variable and its documented form. Every variable is one
 * entry of the table in `variables.ts`.
 */
import type { Config } from './types.js';
import type { ValueType } from './value-types.js';

/** When a variable must be set: always, when TLS mode is `mtls`, or never. */
export type Requirement = 'always' | 'mtls' | 'no';

/** What an invalid value does: stop the start, or warn and use the default. */
export type Severity = 'fatal' | 'warn';

/** A default that follows other values; `describe` is how the reference states it. */
export class DerivedDefault<T> {
  constructor(
    readonly describe: string,
    readonly resolve: (values: Readonly<Record<string, unknown>>) => T,
  ) {}
}

/** One environment variable: how it is read, typed, defaulted, checked and documented. */
export interface Variable<N extends string = string, T = unknown, D = unknown, F = unknown, R = Requirement> {
  readonly name: N;
  /** Parses the text into the typed value; also names the form in the reference. */
  readonly type: ValueType<T>;
  /** The typed default, a {@link DerivedDefault}, or undefined when there is none. */
  readonly default: D;
  /** The Config field that receives the value; undefined when a cross-variable rule places it. */
  readonly field: F;
  readonly required: R;
  readonly onInvalid: Severity;
  /** Never quoted in messages; may also be read from the file that `<name>_FILE` names. */
  readonly secret: boolean;
  readonly description: string;
}

/** The loaded value of a variable: undefined only when it has no default and may be unset. */
export type ValueOf<V> =
  V extends Variable<string, infer T, infer D, unknown, infer R>
    ? undefined extends D
      ? R extends 'always'
        ? T
        : T | undefined
      : T
    : never;

/**
 * Declares a variable; `required` defaults to `'no'`, `secret` to false. The compiler checks
 * that the default has the type the value type produces.
 */
export function variable<
  const N extends string,
  T,
  const D extends NoInfer<T> | DerivedDefault<NoInfer<T>> | undefined = undefined,
  const F extends keyof Config | undefined = undefined,
  const R extends Requirement = 'no',
>(
  spec: Omit<Variable<N, T, D, F, R>, 'default' | 'field' | 'required' | 'secret'> &
    Partial<Pick<Variable<N, T, D, F, R>, 'default' | 'field' | 'required' | 'secret'>>,
): Variable<N, T, D, F, R> {
  return Object.freeze({ required: 'no' as R, secret: false, ...spec, default: spec.default as D, field: spec.field as F });
}

/** The variable that names the file a secret is read from. */
export function fileVariable(name: string): string {
  return `${name}_FILE`;
}

/** A variable as documented: its type and default as text (default null when there is none). */
export type EnvVariable = Pick<Variable, 'name' | 'required' | 'onInvalid' | 'secret' | 'description'> & {
  readonly type: string;
  readonly default: string | null;
};

/** The documented form of a variable; the default's text comes from the typed default. */
export function describeVariable({
  name,
  type,
  default: fallback,
  required,
  onInvalid,
  secret,
  description,
}: Variable): EnvVariable {
  const shown = fallback === undefined ? '' : fallback instanceof DerivedDefault ? fallback.describe : type.format(fallback);
  return Object.freeze({
    name,
    type: type.describe,
    default: shown === '' ? null : shown,
    required,
    onInvalid,
    secret,
    description,
  });
}

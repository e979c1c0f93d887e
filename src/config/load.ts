/**
 * Environment → frozen {@link Config}: one pass over the variable table, then the rules that
 * span variables. Every fatal problem is collected into one {@link ConfigError}; an invalid
 * `warn` value falls back to its default with a warning (the caller logs the warnings).
 */
import { deepFreeze } from './frozen.js';
import { quoteMasked, quoteSecret } from './mask.js';
import { RULES, type RuleContext } from './rules.js';
import { type Env, type ReadFile, readFileUtf8, readVariable } from './source.js';
import type { Config, RedisConfig } from './types.js';
import { DerivedDefault, type Variable } from './variable.js';
import { type FieldValues, VARIABLES, type Values, type VariableName } from './variables.js';

/** Thrown by {@link loadConfig} with every fatal problem; never contains a secret. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(['invalid configuration:', ...problems.map((p) => `  - ${p}`)].join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

/** What {@link loadConfig} may be given besides the environment. */
export interface LoadOptions {
  /** How `<NAME>_FILE` secrets are read; the real file system unless a test says otherwise. */
  readonly readFile?: ReadFile;
}

const TABLE: readonly Variable<VariableName, unknown, unknown, keyof Config | undefined>[] = VARIABLES;
const BY_NAME = new Map(TABLE.map((v) => [v.name, v]));
// Messages print in table order, whichever step adds them; general ones come last.
const RANK = new Map<string | undefined, number>(TABLE.map((v, i) => [v.name, i]));

type Message = { readonly kind: 'problem' | 'warning'; readonly name: string | undefined; readonly text: string };

/**
 * Builds the configuration from an environment map (usually `process.env`, passed in by
 * `main.ts`). Empty and whitespace-only values count as unset.
 *
 * @returns the frozen config and the warnings to log (invalid optional values that fell
 *   back to their default, ignored variables).
 * @throws ConfigError listing every fatal problem.
 */
export function loadConfig(env: Env, options: LoadOptions = {}): { config: Config; warnings: string[] } {
  const readFile = options.readFile ?? readFileUtf8;
  let messages: Message[] = [];
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const fatallyInvalid = new Set<string>();
  const fellBack: [Variable, readonly string[]][] = [];

  for (const variable of TABLE) {
    const reading = readVariable(env, variable, readFile);
    if (!reading.given) continue;
    given.add(variable.name);
    const parsed =
      'problem' in reading
        ? { ok: false as const, problems: [reading.problem] }
        : variable.type.parse(reading.text, {
            name: variable.name,
            quote: variable.secret ? quoteSecret : (part) => quoteMasked(reading.text, part),
          });
    if (parsed.ok) {
      values[variable.name] = parsed.value;
    } else if (variable.onInvalid === 'warn' && !('problem' in reading)) {
      fellBack.push([variable, parsed.problems]);
    } else {
      fatallyInvalid.add(variable.name);
      for (const text of parsed.problems) messages.push({ kind: 'problem', name: variable.name, text });
    }
  }

  const defaultOf = (variable: Variable): unknown =>
    variable.default instanceof DerivedDefault ? variable.default.resolve(values) : variable.default;
  // Plain defaults first: derived ones may read them.
  for (const derived of [false, true]) {
    for (const variable of TABLE) {
      const unset = !(variable.name in values) && !fatallyInvalid.has(variable.name);
      if (unset && variable.default instanceof DerivedDefault === derived) values[variable.name] = defaultOf(variable);
    }
  }
  for (const [variable, problems] of fellBack) {
    const fallback = values[variable.name];
    const suffix = fallback === undefined ? '' : `; using default ${variable.type.format(fallback)}`;
    for (const text of problems) messages.push({ kind: 'warning', name: variable.name, text: `${text}${suffix}` });
  }

  const ctx: RuleContext = {
    values: values as RuleContext['values'],
    env,
    isSet: (name) => given.has(name),
    problem: (name, text) => messages.push({ kind: 'problem', name, text }),
    warn: (name, text) => messages.push({ kind: 'warning', name, text }),
    ignore(name) {
      messages = messages.filter((m) => m.name !== name);
      values[name] = defaultOf(variableNamed(name));
    },
    defaultOf: <N extends VariableName>(name: N) => defaultOf(variableNamed(name)) as Values[N],
  };
  for (const rule of RULES) rule(ctx);

  const list = (kind: Message['kind']): string[] =>
    messages
      .filter((m) => m.kind === kind)
      .sort((a, b) => (RANK.get(a.name) ?? TABLE.length) - (RANK.get(b.name) ?? TABLE.length))
      .map((m) => m.text);
  const problems = list('problem');
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: deepFreeze(assemble(values as Values)), warnings: list('warning') };
}

function variableNamed(name: string): Variable {
  const variable = BY_NAME.get(name as VariableName);
  if (variable === undefined) throw new Error(`${name} is not in the variable table`);
  return variable;
}

/** The Config: each variable's value in its field, plus the parts that combine several. */
function assemble(values: Values): Config {
  const fields: Record<string, unknown> = {};
  for (const { name, field } of TABLE) if (field !== undefined && values[name] !== undefined) fields[field] = values[name];
  const { TOKEN_ENGINE_TLS_CERT_FILE: certFile, TOKEN_ENGINE_TLS_KEY_FILE: keyFile, TOKEN_ENGINE_TLS_CA_FILE: caFile } = values;
  // In mtls mode the three files are required, so they are all there.
  const mtls = values.TOKEN_ENGINE_TLS_MODE === 'mtls' && certFile && keyFile && caFile;
  const {
    TOKEN_ENGINE_PKCS11_MODULE: module,
    TOKEN_ENGINE_PKCS11_TOKEN_LABEL: tokenLabel,
    TOKEN_ENGINE_PKCS11_PIN: pin,
    TOKEN_ENGINE_PKCS11_SESSIONS: sessions,
  } = values;
  // With the pkcs11 signer the module, label and PIN are required, so they are all there.
  const pkcs11 = values.TOKEN_ENGINE_SIGNER === 'pkcs11' && module && tokenLabel && pin;
  return {
    ...(fields as FieldValues),
    ...(mtls ? { tls: { certFile, keyFile, caFile } } : {}),
    ...(pkcs11 ? { pkcs11: { module, tokenLabel, pin, sessions } } : {}),
    redis: redisConfig(values),
  };
}

/** Redis from the URL, or else ADDR/PASSWORD/DB, with the cluster or Sentinel topology. */
function redisConfig(values: Values): RedisConfig {
  const redis: RedisConfig = {
    ...(values.TOKEN_ENGINE_REDIS_URL ?? {
      ...values.TOKEN_ENGINE_REDIS_ADDR,
      password: values.TOKEN_ENGINE_REDIS_PASSWORD,
      db: values.TOKEN_ENGINE_REDIS_DB,
      tls: false,
    }),
    clusterNodes: values.TOKEN_ENGINE_REDIS_CLUSTER_NODES,
    sentinels: values.TOKEN_ENGINE_REDIS_SENTINELS,
    sentinelMaster: values.TOKEN_ENGINE_REDIS_SENTINEL_MASTER,
    sentinelUsername: values.TOKEN_ENGINE_REDIS_SENTINEL_USERNAME,
    sentinelPassword: values.TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD,
  };
  // Absent rather than undefined: the object is logged (redacted) and compared in tests.
  return Object.fromEntries(Object.entries(redis).filter(([, value]) => value !== undefined)) as unknown as RedisConfig;
}

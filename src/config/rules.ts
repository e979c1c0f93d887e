/**
 * The rules that span variables. They run, in this order, once every variable has been
 * parsed; each reads values and may add a problem or a warning, set aside a variable that
 * does not apply, or replace values. Messages are filed under the variable they concern,
 * so they print in table order whichever rule adds them.
 */
import { formatDuration } from './duration.js';
import type { Env } from './source.js';
import { KNOWN_NAMES, type Values, VARIABLES, type VariableName } from './variables.js';

/** What a rule sees and may do. */
export interface RuleContext {
  /** Loaded values; a variable whose value was fatally invalid is undefined here. */
  readonly values: { -readonly [N in VariableName]?: Values[N] };
  readonly env: Env;
  /** True when the variable was given (by value, or for a secret by `<NAME>_FILE`). */
  isSet(name: VariableName): boolean;
  /** A fatal problem, filed under `name` (undefined: after every variable). */
  problem(name: VariableName | undefined, text: string): void;
  warn(name: VariableName | undefined, text: string): void;
  /** Sets aside a variable that does not apply: its messages are dropped, its default used. */
  ignore(name: VariableName): void;
  defaultOf<N extends VariableName>(name: N): Values[N];
}

/** One rule that spans variables. */
export type Rule = (ctx: RuleContext) => void;

const KEYS = 'TOKEN_ENGINE_STATIC_CALLER_KEYS';
const URL = 'TOKEN_ENGINE_REDIS_URL';
const ADDR = 'TOKEN_ENGINE_REDIS_ADDR';
const CLUSTER = 'TOKEN_ENGINE_REDIS_CLUSTER_NODES';
const SENTINELS = 'TOKEN_ENGINE_REDIS_SENTINELS';
const MASTER = 'TOKEN_ENGINE_REDIS_SENTINEL_MASTER';
const SENTINEL_CREDENTIALS = ['TOKEN_ENGINE_REDIS_SENTINEL_USERNAME', 'TOKEN_ENGINE_REDIS_SENTINEL_PASSWORD'] as const;
const KEK = 'TOKEN_ENGINE_KEY_ENCRYPTION_KEY';
const ACCESS = 'TOKEN_ENGINE_ACCESS_TOKEN_TTL';
const REFRESH = 'TOKEN_ENGINE_REFRESH_TOKEN_TTL';

/** Required variables: always, or (TLS certificate files, caller registry) in mtls mode. */
const required: Rule = (ctx) => {
  for (const { name, required } of VARIABLES) {
    if (ctx.isSet(name)) continue;
    if (required === 'always') ctx.problem(name, `${name} must not be empty`);
    if (required === 'mtls' && ctx.values.TOKEN_ENGINE_TLS_MODE === 'mtls') {
      ctx.problem(name, `${name} must not be empty when TLS mode is mtls`);
    }
  }
};

/** Static API keys authenticate only without TLS; certificate files only with it. */
const tlsMode: Rule = (ctx) => {
  const mode = ctx.values.TOKEN_ENGINE_TLS_MODE;
  if (mode === 'disabled' && !ctx.isSet(KEYS)) ctx.problem(KEYS, `${KEYS} must not be empty when TLS mode is disabled`);
  if (mode === 'mtls' && ctx.isSet(KEYS)) ctx.warn(KEYS, `${KEYS} is ignored when TLS mode is mtls`);
  if (mode !== 'disabled') return;
  for (const name of ['TOKEN_ENGINE_TLS_CERT_FILE', 'TOKEN_ENGINE_TLS_KEY_FILE', 'TOKEN_ENGINE_TLS_CA_FILE'] as const) {
    if (ctx.isSet(name)) ctx.warn(name, `${name} is ignored when TLS mode is disabled`);
  }
};

/** The URL wins over ADDR, PASSWORD and DB, which are then not even checked. */
const redisUrlWins: Rule = (ctx) => {
  if (!ctx.isSet(URL)) return;
  const ignored = ([ADDR, 'TOKEN_ENGINE_REDIS_PASSWORD', 'TOKEN_ENGINE_REDIS_DB'] as const).filter((name) => ctx.isSet(name));
  for (const name of ignored) ctx.ignore(name);
  if (ignored.length > 0) ctx.warn(URL, `${ignored.join(', ')} ignored because ${URL} is set`);
};

/** Cluster and Sentinel exclude each other; Sentinel needs its master group; the Sentinel settings need Sentinels. */
const redisTopology: Rule = (ctx) => {
  const [cluster, sentinels, master] = ([CLUSTER, SENTINELS, MASTER] as const).map((name) => ctx.isSet(name));
  if (cluster && sentinels) ctx.problem(SENTINELS, `${CLUSTER} and ${SENTINELS} cannot both be set`);
  if (sentinels && !master) ctx.problem(MASTER, `${MASTER} must not be empty when ${SENTINELS} is set`);
  for (const name of [MASTER, ...SENTINEL_CREDENTIALS] as const) {
    if (sentinels || !ctx.isSet(name)) continue;
    ctx.ignore(name);
    ctx.warn(name, `${name} is ignored because ${SENTINELS} is not set`);
  }
  const topology = cluster ? CLUSTER : sentinels ? SENTINELS : undefined;
  if (topology !== undefined && (ctx.isSet(URL) || ctx.isSet(ADDR))) {
    const text = `the Redis host and port of ${URL} / ${ADDR} are ignored because ${topology} is set`;
    ctx.warn(topology, `${text}; credentials, TLS and db still apply`);
  }
};

const PKCS11_SETTINGS = [
  'TOKEN_ENGINE_PKCS11_MODULE',
  'TOKEN_ENGINE_PKCS11_TOKEN_LABEL',
  'TOKEN_ENGINE_PKCS11_PIN',
  'TOKEN_ENGINE_PKCS11_SESSIONS',
] as const;

/** The PKCS#11 signer needs its module, token and PIN; the KEK is then not used, nor these without it. */
const signer: Rule = (ctx) => {
  if (ctx.values.TOKEN_ENGINE_SIGNER === 'pkcs11') {
    for (const name of PKCS11_SETTINGS.slice(0, 3)) {
      if (!ctx.isSet(name)) ctx.problem(name, `${name} must not be empty when TOKEN_ENGINE_SIGNER is pkcs11`);
    }
    if (ctx.isSet(KEK)) ctx.warn(KEK, `${KEK} is not used when TOKEN_ENGINE_SIGNER is pkcs11 (records are tagged in the token)`);
    return;
  }
  for (const name of PKCS11_SETTINGS) {
    if (!ctx.isSet(name)) continue;
    ctx.ignore(name);
    ctx.warn(name, `${name} is ignored because TOKEN_ENGINE_SIGNER is not pkcs11`);
  }
};

/** Private keys in Redis without a key encryption key are stored in the clear: say so. */
const unencryptedKeys: Rule = (ctx) => {
  if (!ctx.isSet(KEK) && ctx.values.TOKEN_ENGINE_STORE === 'redis' && ctx.values.TOKEN_ENGINE_SIGNER !== 'pkcs11') {
    ctx.warn(KEK, `${KEK} is not set: private signing keys are stored unencrypted in Redis`);
  }
};

/** An access token must expire before its refresh token; otherwise both defaults apply. */
const accessShorterThanRefresh: Rule = (ctx) => {
  const { [ACCESS]: access, [REFRESH]: refresh } = ctx.values;
  if (access === undefined || refresh === undefined || access < refresh) return;
  const [accessDefault, refreshDefault] = [ctx.defaultOf(ACCESS), ctx.defaultOf(REFRESH)];
  const [a, r, da, dr] = [access, refresh, accessDefault, refreshDefault].map(formatDuration);
  ctx.warn(ACCESS, `${ACCESS} (${a}) must be shorter than ${REFRESH} (${r}); using defaults ${da} and ${dr}`);
  ctx.values[ACCESS] = accessDefault;
  ctx.values[REFRESH] = refreshDefault;
};

/** A burst means nothing without a rate. */
const rateLimitBurst: Rule = (ctx) => {
  const burst = 'TOKEN_ENGINE_RATE_LIMIT_BURST';
  if (!ctx.isSet(burst) || ctx.values.TOKEN_ENGINE_RATE_LIMIT_PER_SECOND !== 0) return;
  ctx.ignore(burst);
  ctx.warn(burst, `${burst} is ignored because TOKEN_ENGINE_RATE_LIMIT_PER_SECOND is 0 (unlimited)`);
};

/** A TOKEN_ENGINE_ name the table does not know is most likely a typo. */
const unknownVariables: Rule = (ctx) => {
  for (const name of Object.keys(ctx.env).sort()) {
    // TOKEN_ENGINE_CLI_* belong to the command-line client, which may share the environment.
    if (name.startsWith('TOKEN_ENGINE_') && !name.startsWith('TOKEN_ENGINE_CLI_') && !KNOWN_NAMES.has(name)) {
      ctx.warn(undefined, `${name} is not a known variable and is ignored`);
    }
  }
};

/** Every rule that spans variables, in the order they run. */
export const RULES: readonly Rule[] = [
  required,
  tlsMode,
  redisUrlWins,
  redisTopology,
  signer,
  unencryptedKeys,
  accessShorterThanRefresh,
  rateLimitBurst,
  unknownVariables,
];

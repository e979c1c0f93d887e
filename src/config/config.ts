/**
 * The configuration's public surface: `loadConfig(env)` → frozen {@link Config}. The
 * variables are declared once, in `variables.ts`; `load.ts` reads them and applies the
 * rules that span variables (`rules.ts`); `reference.ts` documents them.
 */
export { ConfigError, type LoadOptions, loadConfig } from './load.js';
export type { Config, HostPort, LogLevel, Pkcs11Config, RedisConfig, StoreKind, TlsFiles, TlsMode } from './types.js';
export type { EnvVariable, Requirement, Severity } from './variable.js';
export { ENV_VARIABLES, KNOWN_NAMES, type VariableName } from './variables.js';

/**
 * What the examples share: their options, a client built from them, and running an
 * example as a program (`node dist/client/examples/<name>.js [flags]`). In your own code,
 * import from `token-engine/client` instead of `../client/index.js`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient, isTokenEngineError, type TlsOptions, type TokenEngineClient } from '../client/index.js';

/** Where the service is and how to authenticate; the defaults match `make run`. */
export interface ExampleOptions {
  /** gRPC `host:port`. */
  readonly address: string;
  /** API key (plaintext mode). */
  readonly apiKey?: string;
  /** Client certificate, key and CA (mTLS mode); wins over `apiKey`. */
  readonly tls?: TlsOptions;
  /** Base URL of the HTTP sidecar (JWKS, health). */
  readonly httpBase: string;
  readonly tenantId: string;
}

/** A client for the options: mTLS when `tls` is set, else the API key. */
export function connect(options: ExampleOptions): TokenEngineClient {
  return options.tls
    ? createClient({ address: options.address, tls: options.tls })
    : createClient({ address: options.address, apiKey: options.apiKey ?? '' });
}

/** The JWKS URL of a tenant on the HTTP sidecar. */
export function jwksUrl(httpBase: string, tenantId: string): URL {
  return new URL(`/tenants/${encodeURIComponent(tenantId)}/.well-known/jwks.json`, httpBase);
}

/**
 * Options from the command line: `--address`, `--http`, `--tenant` (repeatable),
 * `--api-key` (or TOKEN_ENGINE_CLI_API_KEY, else the `make run` key), `--cert/--key/--ca`
 * and `--server-name`.
 */
export function commandLineOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ExampleOptions & { tenants: string[] } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      address: { type: 'string', default: '127.0.0.1:9090' },
      http: { type: 'string', default: 'http://127.0.0.1:8080' },
      tenant: { type: 'string', multiple: true },
      'api-key': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      'server-name': { type: 'string' },
    },
    strict: true,
  });
  const tenants = values.tenant && values.tenant.length > 0 ? values.tenant : ['local-dev'];
  const common = { address: values.address, httpBase: values.http, tenantId: tenants[0] ?? 'local-dev', tenants };
  if (values.cert !== undefined || values.key !== undefined || values.ca !== undefined) {
    if (values.cert === undefined || values.key === undefined || values.ca === undefined)
      throw new Error('mTLS needs --cert, --key and --ca');
    return {
      ...common,
      tls: {
        cert: readFileSync(values.cert),
        key: readFileSync(values.key),
        ca: readFileSync(values.ca),
        ...(values['server-name'] === undefined ? {} : { serverName: values['server-name'] }),
      },
    };
  }
  return { ...common, apiKey: values['api-key'] ?? env['TOKEN_ENGINE_CLI_API_KEY'] ?? 'dev-local-key' };
}

/** Runs `main` with the command-line options and prints its result as JSON, when `moduleUrl` is the program. */
export async function runIfMain<O extends ExampleOptions>(
  moduleUrl: string,
  main: (options: O) => Promise<unknown>,
  toOptions: (base: ExampleOptions & { tenants: string[] }) => O = (base) => base as unknown as O,
): Promise<void> {
  const script = process.argv[1];
  let isMain = false;
  try {
    isMain = script !== undefined && realpathSync(script) === fileURLToPath(moduleUrl);
  } catch {
    isMain = false;
  }
  if (!isMain) return;
  try {
    const result = await main(toOptions(commandLineOptions(process.argv.slice(2), process.env)));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (err) {
    process.stderr.write(isTokenEngineError(err) ? `${err.codeName}: ${err.message}\n` : `${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

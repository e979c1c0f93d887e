#!/usr/bin/env node
/**
 * token-engine-cli: the TokenEngine RPCs, the JWKS and the health checks from a shell.
 * Exit codes: 0 success, 1 the service answered with an error (or could not be reached),
 * 2 the command line is wrong. The API key is never printed.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { createClient, type ClientOptions, type TokenEngineClient } from './client.js';
import { TokenEngineError } from './errors.js';
import type { TokenPair } from './types.js';

/** Environment variable read for the API key when `--api-key` is absent. */
export const API_KEY_ENV = 'TOKEN_ENGINE_CLI_API_KEY';
export const DEFAULT_ADDRESS = '127.0.0.1:9090';
export const DEFAULT_HTTP = 'http://127.0.0.1:8080';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const USAGE = `Usage: token-engine-cli [global flags] <command> [flags]

Commands:
  issue --sub S --tenant T [--aud A]... [--claim k=v]... [--idempotency-key K]
  refresh --token R --tenant T [--claim k=v]... [--idempotency-key K]
  revoke token --token R --tenant T
  revoke user --user U --tenant T
  revoke audience --aud A --tenant T
  revoke user-audience --user U --aud A --tenant T
  jwks [--tenant T]            GET the JWKS (default tenant without --tenant)
  health                       gRPC health Check and GET /healthz/ready

Global flags:
  --address HOST:PORT          gRPC address (default ${DEFAULT_ADDRESS})
  --http URL                   HTTP base URL (default ${DEFAULT_HTTP})
  --api-key KEY                API key (default: $${API_KEY_ENV})
  --cert FILE --key FILE --ca FILE [--server-name NAME]
                               mTLS with a client certificate instead of an API key
  --deadline MS                deadline of each call (default 5000)
  --correlation-id ID          sent as x-correlation-id
  --json                       print JSON
  -h, --help                   this text

A refresh token may start with "-": pass it as --token=<value>.
Exit codes: 0 ok, 1 the service answered with an error, 2 usage error.
`;

const OPTIONS = {
  address: { type: 'string' },
  http: { type: 'string' },
  'api-key': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  'server-name': { type: 'string' },
  deadline: { type: 'string' },
  'correlation-id': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  sub: { type: 'string' },
  tenant: { type: 'string' },
  aud: { type: 'string', multiple: true },
  claim: { type: 'string', multiple: true },
  'idempotency-key': { type: 'string' },
  token: { type: 'string' },
  user: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const GLOBAL_FLAGS = [
  'address',
  'http',
  'api-key',
  'cert',
  'key',
  'ca',
  'server-name',
  'deadline',
  'correlation-id',
  'json',
  'help',
];

/** Per command: the flags it takes (besides the global ones) and those it requires. */
const COMMANDS: Record<string, { readonly allowed: readonly string[]; readonly required: readonly string[] }> = {
  issue: { allowed: ['sub', 'tenant', 'aud', 'claim', 'idempotency-key'], required: ['sub', 'tenant'] },
  refresh: { allowed: ['token', 'tenant', 'claim', 'idempotency-key'], required: ['token', 'tenant'] },
  'revoke token': { allowed: ['token', 'tenant'], required: ['token', 'tenant'] },
  'revoke user': { allowed: ['user', 'tenant'], required: ['user', 'tenant'] },
  'revoke audience': { allowed: ['aud', 'tenant'], required: ['aud', 'tenant'] },
  'revoke user-audience': { allowed: ['user', 'aud', 'tenant'], required: ['user', 'aud', 'tenant'] },
  jwks: { allowed: ['tenant'], required: [] },
  health: { allowed: [], required: [] },
};

/** A wrong command line: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the CLI writes and what it reads; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
};

/** Runs one command line (without `node` and the script) and resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed: { flags: Flags; command: string };
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return usageFailure(io, err);
  }
  const { flags, command } = parsed;
  if (flags.help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  try {
    if (command === 'jwks') return await jwks(flags, io);
    if (command === 'health') return await health(flags, io);
    return await rpc(command, flags, io);
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err);
    if (err instanceof TokenEngineError) {
      io.stderr(`${err.codeName}: ${err.message}\n`);
      return EXIT.failed;
    }
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}

function usageFailure(io: CliIo, err: unknown): number {
  io.stderr(`token-engine-cli: ${err instanceof Error ? err.message : String(err)}\nRun "token-engine-cli --help" for usage.\n`);
  return EXIT.usage;
}

function parseCommandLine(argv: readonly string[]): { flags: Flags; command: string } {
  let result: { values: Flags; positionals: string[] };
  try {
    result = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util names the flag, never the value of another one.
    throw new UsageError((err as Error).message);
  }
  const { values: flags, positionals } = result;
  if (flags.help) return { flags, command: '' };
  const [first, second, ...rest] = positionals;
  if (first === undefined) throw new UsageError('missing command');
  const command = first === 'revoke' ? `revoke ${second ?? ''}`.trim() : first;
  const extra = first === 'revoke' ? rest : positionals.slice(1);
  const spec = COMMANDS[command];
  if (!spec) {
    throw new UsageError(
      first === 'revoke' ? 'revoke needs one of: token, user, audience, user-audience' : `unknown command "${first}"`,
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  for (const name of Object.keys(flags)) {
    if (!GLOBAL_FLAGS.includes(name) && !spec.allowed.includes(name)) throw new UsageError(`${command} does not take --${name}`);
  }
  for (const name of spec.required) {
    const value = flags[name as keyof Flags];
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
      throw new UsageError(`${command} needs --${name}`);
    }
  }
  return { flags, command };
}

/** mTLS when any of --cert/--key/--ca is given (all three then), else the API key. */
function clientOptions(flags: Flags, env: CliIo['env'], needsCredentials: boolean): ClientOptions {
  const address = flags.address ?? DEFAULT_ADDRESS;
  const deadlineMs = flags.deadline === undefined ? undefined : deadline(flags.deadline);
  const common = { address, ...(deadlineMs === undefined ? {} : { deadlineMs }) };
  const tlsFlags = [flags.cert, flags.key, flags.ca];
  if (tlsFlags.some((f) => f !== undefined)) {
    if (tlsFlags.some((f) => f === undefined)) throw new UsageError('mTLS needs all of --cert, --key and --ca');
    if (flags['api-key'] !== undefined) throw new UsageError('use either --api-key or --cert/--key/--ca, not both');
    return {
      ...common,
      tls: {
        cert: readPem(flags.cert, '--cert'),
        key: readPem(flags.key, '--key'),
        ca: readPem(flags.ca, '--ca'),
        ...(flags['server-name'] === undefined ? {} : { serverName: flags['server-name'] }),
      },
    };
  }
  const apiKey = flags['api-key'] ?? env[API_KEY_ENV];
  if (apiKey === undefined || apiKey === '') {
    if (needsCredentials)
      throw new UsageError(`an API key is needed: --api-key or ${API_KEY_ENV} (or --cert, --key and --ca for mTLS)`);
    return common;
  }
  if (!/^[\x20-\x7e]+$/.test(apiKey)) throw new UsageError('the API key must be printable ASCII');
  return { ...common, apiKey };
}

function readPem(path: string | undefined, flag: string): Buffer {
  try {
    return readFileSync(path ?? '');
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${path ?? ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function deadline(text: string): number {
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError('--deadline must be a positive number of milliseconds');
  return ms;
}

function claims(list: readonly string[] | undefined): Record<string, string> | undefined {
  if (list === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--claim must be key=value, got "${item}"`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

async function rpc(command: string, flags: Flags, io: CliIo): Promise<number> {
  const client = createClient(clientOptions(flags, io.env, true));
  try {
    const common = flags['correlation-id'] === undefined ? {} : { correlationId: flags['correlation-id'] };
    const idempotent = {
      ...common,
      ...(flags['idempotency-key'] === undefined ? {} : { idempotencyKey: flags['idempotency-key'] }),
    };
    const tenantId = flags.tenant ?? '';
    const customClaims = claims(flags.claim);
    switch (command) {
      case 'issue': {
        const pair = await client.issueToken(
          {
            tenantId,
            sub: flags.sub ?? '',
            ...(flags.aud ? { audiences: flags.aud } : {}),
            ...(customClaims ? { claims: customClaims } : {}),
          },
          idempotent,
        );
        printPair(pair, flags, io);
        return EXIT.ok;
      }
      case 'refresh': {
        const pair = await client.refreshToken(
          { tenantId, refreshToken: flags.token ?? '', ...(customClaims ? { claims: customClaims } : {}) },
          idempotent,
        );
        printPair(pair, flags, io);
        return EXIT.ok;
      }
      default:
        await revoke(client, command, flags, common);
        io.stdout(flags.json ? `${JSON.stringify({ ok: true })}\n` : 'revoked\n');
        return EXIT.ok;
    }
  } finally {
    client.close();
  }
}

async function revoke(
  client: TokenEngineClient,
  command: string,
  flags: Flags,
  options: { correlationId?: string },
): Promise<void> {
  const tenantId = flags.tenant ?? '';
  const audience = flags.aud?.[0] ?? '';
  if ((flags.aud?.length ?? 0) > 1) throw new UsageError(`${command} takes one --aud`);
  switch (command) {
    case 'revoke token':
      return client.revokeToken({ tenantId, refreshToken: flags.token ?? '' }, options);
    case 'revoke user':
      return client.revokeAllUserTokens({ tenantId, userId: flags.user ?? '' }, options);
    case 'revoke audience':
      return client.revokeAllForAudience({ tenantId, audience }, options);
    case 'revoke user-audience':
      return client.revokeAllForUserAndAudience({ tenantId, userId: flags.user ?? '', audience }, options);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function printPair(pair: TokenPair, flags: Flags, io: CliIo): void {
  if (flags.json) {
    io.stdout(`${JSON.stringify(pair)}\n`);
    return;
  }
  io.stdout(
    [
      `access_token: ${pair.accessToken}`,
      `refresh_token: ${pair.refreshToken}`,
      `access_token_expires_in: ${pair.accessTokenExpiresIn}`,
      `refresh_token_expires_in: ${pair.refreshTokenExpiresIn}`,
      '',
    ].join('\n'),
  );
}

function httpBase(flags: Flags): string {
  const base = flags.http ?? DEFAULT_HTTP;
  try {
    return new URL(base).href.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--http must be a URL, got "${base}"`);
  }
}

async function httpGet(url: string, flags: Flags): Promise<{ status: number; body: string } | { error: string }> {
  const timeoutMs = flags.deadline === undefined ? 5_000 : deadline(flags.deadline);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code;
    return { error: `GET ${url} failed: ${cause ?? (err as Error).message}` };
  }
}

async function jwks(flags: Flags, io: CliIo): Promise<number> {
  const base = httpBase(flags);
  const url =
    flags.tenant === undefined
      ? `${base}/.well-known/jwks.json`
      : `${base}/tenants/${encodeURIComponent(flags.tenant)}/.well-known/jwks.json`;
  const res = await httpGet(url, flags);
  if ('error' in res) {
    io.stderr(`${res.error}\n`);
    return EXIT.failed;
  }
  if (res.status !== 200) {
    io.stderr(`HTTP ${res.status}: ${res.body.trim()}\n`);
    return EXIT.failed;
  }
  const set = JSON.parse(res.body) as unknown;
  io.stdout(`${flags.json ? JSON.stringify(set) : JSON.stringify(set, null, 2)}\n`);
  return EXIT.ok;
}

async function health(flags: Flags, io: CliIo): Promise<number> {
  const base = httpBase(flags);
  const client = createClient(clientOptions(flags, io.env, false));
  let grpc: string;
  try {
    grpc = await client.checkHealth('', flags['correlation-id'] === undefined ? {} : { correlationId: flags['correlation-id'] });
  } catch (err) {
    if (!(err instanceof TokenEngineError)) throw err;
    grpc = `${err.codeName}: ${err.message}`;
  } finally {
    client.close();
  }
  const res = await httpGet(`${base}/healthz/ready`, flags);
  const http =
    'error' in res ? res.error : res.status === 200 ? 'ready' : `not ready (HTTP ${res.status}) ${res.body.trim()}`.trim();
  const ok = grpc === 'SERVING' && http === 'ready';
  if (flags.json) io.stdout(`${JSON.stringify({ ok, grpc, http })}\n`);
  else io.stdout(`grpc: ${grpc}\nhttp: ${http}\n`);
  return ok ? EXIT.ok : EXIT.failed;
}

/** True when this module is the program node was asked to run (also through the npm bin symlink). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = await runCli(process.argv.slice(2));
}

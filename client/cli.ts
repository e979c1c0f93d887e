#!/usr/bin/env node
/**
 * token-engine-cli: the TokenEngine RPCs (revocation stream included), the JWKS and the
 * health checks from a shell.
 * Exit codes: 0 success, 1 the service answered with an error (or could not be reached),
 * 2 the command line is wrong. The API key is never printed. Secrets can come from the
 * environment, a file or stdin instead of the command line, where `ps` and the shell
 * history would show them.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { createClient, type ClientOptions, type TokenEngineClient } from './client.js';
import { TokenEngineError } from './errors.js';
import { isRpcName, RPC_NAMES, STREAM_METHODS } from './methods.js';
import type { DpopProof, RevocationEvent, TokenPair, TokenValidation } from './types.js';

/** Environment variable read for the API key when neither `--api-key` nor `--api-key-file` is given. */
export const API_KEY_ENV = 'TOKEN_ENGINE_CLI_API_KEY';
/** Environment variable read for the refresh token when neither `--token` nor `--token-file` is given. */
export const TOKEN_ENV = 'TOKEN_ENGINE_CLI_TOKEN';
/** The file name, or `--token` value, that means "read stdin". */
export const STDIN = '-';
export const DEFAULT_ADDRESS = '127.0.0.1:9090';
export const DEFAULT_HTTP = 'http://127.0.0.1:8080';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const OPTIONS = {
  address: { type: 'string' },
  http: { type: 'string' },
  'api-key': { type: 'string' },
  'api-key-file': { type: 'string' },
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
  'token-file': { type: 'string' },
  user: { type: 'string' },
  data: { type: 'string' },
  after: { type: 'string' },
  limit: { type: 'string' },
  heartbeats: { type: 'boolean' },
  'dpop-key': { type: 'string' },
  owner: { type: 'string' },
  name: { type: 'string' },
  'expires-in': { type: 'string' },
  'key-id': { type: 'string' },
  'page-size': { type: 'string' },
  'page-token': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
type FlagName = keyof typeof OPTIONS;

/** How a command's flag is written in the usage text. */
const METAVAR: Partial<Record<FlagName, string>> = {
  sub: 'S',
  tenant: 'T',
  aud: 'A',
  claim: 'k=v',
  'idempotency-key': 'K',
  token: 'TOKEN|-',
  'token-file': 'FILE|-',
  user: 'U',
  data: 'JSON',
  after: 'CURSOR',
  limit: 'N',
  'dpop-key': 'FILE',
  owner: 'O',
  name: 'NAME',
  'expires-in': 'SECONDS',
  'key-id': 'ID',
  'page-size': 'N',
  'page-token': 'P',
};

const GLOBAL_FLAGS: readonly FlagName[] = [
  'address',
  'http',
  'api-key',
  'api-key-file',
  'cert',
  'key',
  'ca',
  'server-name',
  'deadline',
  'correlation-id',
  'json',
  'help',
];

/** What a command runs with. */
interface CommandContext {
  readonly flags: Flags;
  readonly io: CliIo;
  /** Positional arguments after the command name. */
  readonly args: readonly string[];
  /** Secrets given on the command line, in the environment, in a file or on stdin. */
  readonly secrets: Secrets;
}

/** One command of the CLI: its flags, its usage line, and what it does. */
interface Command {
  readonly name: string;
  /** Flags it takes besides the global ones, in usage order. */
  readonly allowed: readonly FlagName[];
  readonly required: readonly FlagName[];
  /** Positional arguments, as written in the usage text. */
  readonly positionals?: string;
  readonly about?: string;
  run(ctx: CommandContext): Promise<number>;
}

/** The commands, in usage order: the one place a command is declared. */
const COMMANDS: readonly Command[] = [
  {
    name: 'issue',
    allowed: ['sub', 'tenant', 'aud', 'claim', 'idempotency-key', 'dpop-key'],
    required: ['sub', 'tenant'],
    run: ({ flags, io, secrets }) =>
      withClient(flags, secrets, async (client, options) => {
        const customClaims = claims(flags.claim);
        const dpop = await dpopProofFor(flags, 'IssueToken');
        const pair = await client.issueToken(
          {
            tenantId: flags.tenant ?? '',
            sub: flags.sub ?? '',
            ...(flags.aud ? { audiences: flags.aud } : {}),
            ...(customClaims ? { claims: customClaims } : {}),
            ...(dpop ? { dpop } : {}),
          },
          idempotent(flags, options),
        );
        printPair(pair, flags, io);
      }),
  },
  {
    name: 'refresh',
    allowed: ['token', 'token-file', 'tenant', 'claim', 'idempotency-key', 'dpop-key'],
    required: ['tenant'],
    run: async ({ flags, io, secrets }) => {
      const refreshToken = await secrets.token('refresh');
      return withClient(flags, secrets, async (client, options) => {
        const customClaims = claims(flags.claim);
        const dpop = await dpopProofFor(flags, 'RefreshToken');
        const pair = await client.refreshToken(
          {
            tenantId: flags.tenant ?? '',
            refreshToken,
            ...(customClaims ? { claims: customClaims } : {}),
            ...(dpop ? { dpop } : {}),
          },
          idempotent(flags, options),
        );
        printPair(pair, flags, io);
      });
    },
  },
  {
    name: 'revoke token',
    allowed: ['token', 'token-file', 'tenant'],
    required: ['tenant'],
    run: async ({ flags, io, secrets }) => {
      const refreshToken = await secrets.token('revoke token');
      return revoked(flags, io, secrets, (client, options) =>
        client.revokeToken({ tenantId: flags.tenant ?? '', refreshToken }, options),
      );
    },
  },
  revocation('revoke user', ['user', 'tenant'], (client, flags, options) =>
    client.revokeAllUserTokens({ tenantId: flags.tenant ?? '', userId: flags.user ?? '' }, options),
  ),
  revocation('revoke audience', ['aud', 'tenant'], (client, flags, options) =>
    client.revokeAllForAudience({ tenantId: flags.tenant ?? '', audience: oneAudience('revoke audience', flags) }, options),
  ),
  revocation('revoke user-audience', ['user', 'aud', 'tenant'], (client, flags, options) =>
    client.revokeAllForUserAndAudience(
      { tenantId: flags.tenant ?? '', userId: flags.user ?? '', audience: oneAudience('revoke user-audience', flags) },
      options,
    ),
  ),
  {
    name: 'validate',
    allowed: ['token', 'token-file', 'tenant', 'aud'],
    required: ['tenant'],
    about: 'ValidateToken: is the access token active (signature, times, revocation)?',
    run: async ({ flags, io, secrets }) => {
      const accessToken = await secrets.token('validate', 'access token');
      return withClient(flags, secrets, async (client, options) => {
        const audience = oneAudience('validate', flags);
        const result = await client.validateToken(
          { tenantId: flags.tenant ?? '', accessToken, ...(audience ? { audience } : {}) },
          options,
        );
        printValidation(result, flags, io);
      });
    },
  },
  {
    name: 'watch',
    allowed: ['tenant', 'after', 'limit', 'heartbeats'],
    required: ['tenant'],
    about: 'WatchRevocations: print revocations as they happen (until Ctrl-C, or --limit events)',
    run: ({ flags, io, secrets }) => watch(flags, io, secrets),
  },
  {
    name: 'apikey create',
    allowed: ['tenant', 'owner', 'name', 'aud', 'claim', 'expires-in', 'idempotency-key'],
    required: ['tenant', 'owner'],
    about: 'CreateApiKey: prints the secret (shown this once) and the key id',
    run: ({ flags, io, secrets }) =>
      withClient(flags, secrets, async (client, options) => {
        const customClaims = claims(flags.claim);
        const created = await client.createApiKey(
          {
            tenantId: flags.tenant ?? '',
            owner: flags.owner ?? '',
            ...(flags.name === undefined ? {} : { name: flags.name }),
            ...(flags.aud ? { audiences: flags.aud } : {}),
            ...(customClaims ? { claims: customClaims } : {}),
            ...(flags['expires-in'] === undefined ? {} : { expiresIn: wholeNumber('--expires-in', flags['expires-in']) }),
          },
          idempotent(flags, options),
        );
        io.stdout(
          flags.json
            ? `${JSON.stringify(created)}\n`
            : `api_key: ${created.apiKey}\nkey_id: ${created.info.keyId}\nexpires_at: ${created.info.expiresAt}\n`,
        );
      }),
  },
  {
    name: 'apikey list',
    allowed: ['tenant', 'owner', 'page-size', 'page-token'],
    required: ['tenant', 'owner'],
    about: "ListApiKeys: one page of an owner's keys (metadata only); prints next_page_token when there are more",
    run: ({ flags, io, secrets }) =>
      withClient(flags, secrets, async (client, options) => {
        const page = await client.listApiKeys(
          {
            tenantId: flags.tenant ?? '',
            owner: flags.owner ?? '',
            ...(flags['page-size'] === undefined ? {} : { pageSize: wholeNumber('--page-size', flags['page-size']) }),
            ...(flags['page-token'] === undefined ? {} : { pageToken: flags['page-token'] }),
          },
          options,
        );
        if (flags.json) {
          io.stdout(`${JSON.stringify(page)}\n`);
          return;
        }
        const lines = page.keys.map(
          (k) =>
            `${k.keyId} name=${JSON.stringify(k.name)} created_at=${k.createdAt} expires_at=${k.expiresAt} ` +
            `last_used_at=${k.lastUsedAt}${k.revoked ? ' revoked' : ''}`,
        );
        if (page.nextPageToken !== '') lines.push(`next_page_token: ${page.nextPageToken}`);
        io.stdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
      }),
  },
  revocation('apikey revoke', ['key-id', 'tenant'], (client, flags, options) =>
    client.revokeApiKey({ tenantId: flags.tenant ?? '', keyId: flags['key-id'] ?? '' }, options),
  ),
  {
    name: 'apikey exchange',
    allowed: ['token', 'token-file', 'tenant', 'dpop-key'],
    required: ['tenant'],
    about: 'ExchangeApiKey: the API key (--token, --token-file or $TOKEN_ENGINE_CLI_TOKEN) for an access token',
    run: async ({ flags, io, secrets }) => {
      const apiKey = await secrets.token('apikey exchange', 'API key to exchange');
      return withClient(flags, secrets, async (client, options) => {
        const dpop = await dpopProofFor(flags, 'ExchangeApiKey');
        const token = await client.exchangeApiKey({ tenantId: flags.tenant ?? '', apiKey, ...(dpop ? { dpop } : {}) }, options);
        io.stdout(
          flags.json ? `${JSON.stringify(token)}\n` : `access_token: ${token.accessToken}\nexpires_in: ${token.expiresIn}\n`,
        );
      });
    },
  },
  {
    name: 'call',
    positionals: '<Method>',
    allowed: ['data', 'idempotency-key'],
    required: [],
    about:
      `any RPC by its proto name (${RPC_NAMES.join(', ')}); --data is the request as proto JSON (snake_case), ` +
      '"-" reads it from stdin',
    run: ({ flags, io, args, secrets }) => callAny(flags, io, args, secrets),
  },
  {
    name: 'jwks',
    allowed: ['tenant'],
    required: [],
    about: 'GET the JWKS (default tenant without --tenant)',
    run: ({ flags, io }) => jwks(flags, io),
  },
  {
    name: 'health',
    allowed: [],
    required: [],
    about: 'gRPC health Check and GET /healthz/ready',
    run: ({ flags, io, secrets }) => health(flags, io, secrets),
  },
];

/** A command's usage line, from its flags. */
function synopsis(command: Command): string {
  const written = (name: FlagName): string => {
    const metavar = METAVAR[name];
    return metavar === undefined ? `--${name}` : `--${name} ${metavar}`;
  };
  const flag = (name: FlagName): string => {
    // The refresh token is needed in one of three ways (see the note under the flags).
    if (name === 'token') return `(${written('token')} | ${written('token-file')})`;
    if (name === 'token-file') return '';
    const text = written(name);
    if (command.required.includes(name)) return text;
    return OPTIONS[name].type === 'string' && 'multiple' in OPTIONS[name] ? `[${text}]...` : `[${text}]`;
  };
  const line = [command.name, command.positionals, ...command.allowed.map(flag)].filter(Boolean).join(' ');
  if (command.about === undefined) return `  ${line}`;
  return line.length <= 28 ? `  ${line.padEnd(28)} ${command.about}` : `  ${line}\n  ${' '.repeat(28)} ${command.about}`;
}

export const USAGE = `Usage: token-engine-cli [global flags] <command> [flags]

Commands:
${COMMANDS.map(synopsis).join('\n')}

Global flags:
  --address HOST:PORT          gRPC address (default ${DEFAULT_ADDRESS})
  --http URL                   HTTP base URL (default ${DEFAULT_HTTP})
  --api-key KEY                API key (default: $${API_KEY_ENV})
  --api-key-file FILE          read the API key from FILE ("-": stdin) instead
  --cert FILE --key FILE --ca FILE [--server-name NAME]
                               mTLS with a client certificate instead of an API key
  --deadline MS                deadline of each call (default 5000)
  --correlation-id ID          sent as x-correlation-id
  --json                       print JSON
  -h, --help                   this text

Secrets on the command line show in \`ps\` and in the shell history. Instead:
  API key        $${API_KEY_ENV}, or --api-key-file FILE, or --api-key-file - (stdin)
  refresh token  $${TOKEN_ENV}, or --token-file FILE, or --token - / --token-file - (stdin)
  request        call <Method> --data - (the JSON from stdin)
--dpop-key FILE (issue, refresh, apikey exchange) binds the token to the PEM private key in FILE (DPoP,
RFC 9449): the key never leaves this process, each call sends a fresh proof by it.
A file holds the value alone; one trailing newline is ignored. Only one value can come
from stdin. A refresh token may start with "-": pass it as --token=<value>.
Exit codes: 0 ok, 1 the service answered with an error, 2 usage error.
`;

/**
 * A DPoP proof by the key in `--dpop-key` (a PEM PKCS#8 private key: EC P-256 → ES256,
 * Ed25519 → EdDSA, RSA → PS256), made for the RPC as if it were an HTTP POST to the
 * service (the service compares the proof with the method and URL sent beside it).
 */
async function dpopProofFor(flags: Flags, method: string): Promise<DpopProof | undefined> {
  const file = flags['dpop-key'];
  if (file === undefined) return undefined;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file));
  } catch {
    throw new UsageError(`--dpop-key: cannot read a private key from ${file}`);
  }
  const alg = dpopAlgOf(privateKey);
  if (!alg) throw new UsageError('--dpop-key: the key must be EC P-256, Ed25519 or RSA');
  // Loaded only when asked for: every other command starts without the JOSE library.
  const { createDpopProver } = await import('./dpop.js');
  const prover = await createDpopProver({ privateKey, publicKey: createPublicKey(privateKey) }, alg);
  return prover.forRequest({ htm: 'POST', htu: `https://${flags.address ?? DEFAULT_ADDRESS}/token.v1.TokenEngine/${method}` });
}

function dpopAlgOf(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'rsa') return 'PS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

/** A wrong command line: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the CLI writes and what it reads; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of standard input, as text. */
  readonly readStdin: () => Promise<string>;
  /** Aborted to end a long-running command (`watch`) cleanly: Ctrl-C. */
  readonly signal?: AbortSignal;
}

/** Ctrl-C (or SIGTERM) ends `watch` with exit 0 instead of killing the process mid-line. */
function interruption(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  },
  get signal() {
    return interruption();
  },
};

/** Runs one command line (without `node` and the script) and resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed: { flags: Flags; command: Command | undefined; args: string[] };
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return usageFailure(io, err);
  }
  const { flags, command, args } = parsed;
  if (flags.help || command === undefined) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  try {
    return await command.run({ flags, io, args, secrets: new Secrets(flags, io) });
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

/** Command names of one or two words (`revoke user`); the longest name that matches wins. */
function findCommand(positionals: readonly string[]): { command: Command; args: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = positionals.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, args: positionals.slice(words) };
  }
  return undefined;
}

function parseCommandLine(argv: readonly string[]): { flags: Flags; command: Command | undefined; args: string[] } {
  let result: { values: Flags; positionals: string[] };
  try {
    result = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util names the flag, never the value of another one.
    throw new UsageError((err as Error).message);
  }
  const { values: flags, positionals } = result;
  if (flags.help) return { flags, command: undefined, args: [] };
  const [first] = positionals;
  if (first === undefined) throw new UsageError('missing command');
  const found = findCommand(positionals);
  if (!found) {
    const family = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.slice(first.length + 1));
    throw new UsageError(family.length > 0 ? `${first} needs one of: ${family.join(', ')}` : `unknown command "${first}"`);
  }
  const { command, args } = found;
  if (command.positionals === undefined && args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  for (const name of Object.keys(flags) as FlagName[]) {
    if (!GLOBAL_FLAGS.includes(name) && !command.allowed.includes(name)) {
      throw new UsageError(`${command.name} does not take --${name}`);
    }
  }
  for (const name of command.required) {
    const value = flags[name];
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
      throw new UsageError(`${command.name} needs --${name}`);
    }
  }
  return { flags, command, args };
}

/**
 * The secrets a command needs, from the command line, the environment, a file or stdin
 * (read once: only one value may come from it). Problems name the flag or the variable,
 * never the value.
 */
class Secrets {
  private stdinTakenBy: string | undefined;

  constructor(
    private readonly flags: Flags,
    private readonly io: CliIo,
  ) {}

  /** The API key: --api-key, --api-key-file, else $TOKEN_ENGINE_CLI_API_KEY; undefined when none. */
  async apiKey(): Promise<string | undefined> {
    const { 'api-key': given, 'api-key-file': file } = this.flags;
    if (given !== undefined && file !== undefined) throw new UsageError('use either --api-key or --api-key-file, not both');
    if (file !== undefined) return this.fromFile('--api-key-file', file);
    return given ?? this.io.env[API_KEY_ENV];
  }

  /** The token a command takes: --token (`-`: stdin), --token-file, else $TOKEN_ENGINE_CLI_TOKEN. */
  async token(command: string, what = 'refresh token'): Promise<string> {
    const { token: given, 'token-file': file } = this.flags;
    if (given !== undefined && file !== undefined) throw new UsageError('use either --token or --token-file, not both');
    if (file !== undefined) return this.fromFile('--token-file', file);
    if (given === STDIN) return this.fromStdin('--token -');
    const token = given ?? this.io.env[TOKEN_ENV];
    if (token === undefined || token === '') {
      throw new UsageError(`${command} needs the ${what}: --token, --token-file or ${TOKEN_ENV}`);
    }
    return token;
  }

  /** The request JSON of `call`: --data (`-`: stdin). */
  async data(): Promise<string> {
    return this.flags.data === STDIN ? this.fromStdin('--data -', true) : (this.flags.data ?? '{}');
  }

  private async fromFile(flag: string, path: string): Promise<string> {
    if (path === STDIN) return this.fromStdin(`${flag} -`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const value = withoutNewline(text);
    if (value === '') throw new UsageError(`${flag} ${path} is empty`);
    return value;
  }

  private async fromStdin(flag: string, keepAsIs = false): Promise<string> {
    if (this.stdinTakenBy !== undefined) {
      throw new UsageError(`only one value can come from stdin: ${this.stdinTakenBy} and ${flag} both ask for it`);
    }
    this.stdinTakenBy = flag;
    const text = await this.io.readStdin();
    const value = keepAsIs ? text : withoutNewline(text);
    if (value.trim() === '') throw new UsageError(`${flag}: stdin is empty`);
    return value;
  }
}

/** A value as a file or a pipe holds it: one trailing newline is not part of it. */
function withoutNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** mTLS when any of --cert/--key/--ca is given (all three then), else the API key. */
function clientOptions(flags: Flags, apiKey: string | undefined, needsCredentials: boolean): ClientOptions {
  const address = flags.address ?? DEFAULT_ADDRESS;
  const deadlineMs = flags.deadline === undefined ? undefined : deadline(flags.deadline);
  const common = { address, ...(deadlineMs === undefined ? {} : { deadlineMs }) };
  const tlsFlags = [flags.cert, flags.key, flags.ca];
  if (tlsFlags.some((f) => f !== undefined)) {
    if (tlsFlags.some((f) => f === undefined)) throw new UsageError('mTLS needs all of --cert, --key and --ca');
    if (flags['api-key'] !== undefined || flags['api-key-file'] !== undefined) {
      throw new UsageError('use either an API key or --cert/--key/--ca, not both');
    }
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
  if (apiKey === undefined || apiKey === '') {
    if (needsCredentials) {
      throw new UsageError(
        `an API key is needed: ${API_KEY_ENV}, --api-key-file or --api-key (or --cert, --key and --ca for mTLS)`,
      );
    }
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

type CallOptionsOf = { correlationId?: string };

/** Runs `fn` with a client (credentials required) and the per-call options; exit 0 when it returns. */
/** A client with the command line's credentials (mTLS files, else the API key). */
async function connect(flags: Flags, secrets: Secrets): Promise<TokenEngineClient> {
  const tls = flags.cert !== undefined || flags.key !== undefined || flags.ca !== undefined;
  return createClient(clientOptions(flags, tls ? undefined : await secrets.apiKey(), true));
}

async function withClient(
  flags: Flags,
  secrets: Secrets,
  fn: (client: TokenEngineClient, options: CallOptionsOf) => Promise<void>,
): Promise<number> {
  const client = await connect(flags, secrets);
  try {
    await fn(client, flags['correlation-id'] === undefined ? {} : { correlationId: flags['correlation-id'] });
    return EXIT.ok;
  } finally {
    client.close();
  }
}

function idempotent(flags: Flags, options: CallOptionsOf): CallOptionsOf & { idempotencyKey?: string } {
  return { ...options, ...(flags['idempotency-key'] === undefined ? {} : { idempotencyKey: flags['idempotency-key'] }) };
}

/** A revocation command: every flag required; prints `revoked`. */
function revocation(
  name: string,
  flags: readonly FlagName[],
  revoke: (client: TokenEngineClient, flags: Flags, options: CallOptionsOf) => Promise<void>,
): Command {
  return {
    name,
    allowed: flags,
    required: flags,
    run: ({ flags: given, io, secrets }) => revoked(given, io, secrets, (client, options) => revoke(client, given, options)),
  };
}

/** Runs one revocation and prints `revoked`. */
function revoked(
  flags: Flags,
  io: CliIo,
  secrets: Secrets,
  revoke: (client: TokenEngineClient, options: CallOptionsOf) => Promise<void>,
): Promise<number> {
  return withClient(flags, secrets, async (client, options) => {
    await revoke(client, options);
    io.stdout(flags.json ? `${JSON.stringify({ ok: true })}\n` : 'revoked\n');
  });
}

/** A flag that takes a whole number of 0 or more. */
function wholeNumber(flag: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${flag} must be a whole number, 0 or more`);
  return Number(value);
}

function oneAudience(command: string, flags: Flags): string {
  if ((flags.aud?.length ?? 0) > 1) throw new UsageError(`${command} takes one --aud`);
  return flags.aud?.[0] ?? '';
}

/** `call <Method> [--data JSON]`: any RPC of the service by its proto name; prints the response as JSON. */
async function callAny(flags: Flags, io: CliIo, args: readonly string[], secrets: Secrets): Promise<number> {
  const [method, ...extra] = args;
  if (method === undefined) throw new UsageError(`call needs a method: ${RPC_NAMES.join(', ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (!isRpcName(method)) throw new UsageError(`unknown method "${method}"; one of: ${RPC_NAMES.join(', ')}`);
  if (STREAM_METHODS.has(method)) throw new UsageError(`${method} is a stream: use the watch command`);
  const data = await secrets.data();
  let request: unknown;
  try {
    request = JSON.parse(data);
  } catch {
    throw new UsageError('--data must be a JSON object');
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request))
    throw new UsageError('--data must be a JSON object');
  return withClient(flags, secrets, async (client, options) => {
    const response = await client.invoke(method, request as never, idempotent(flags, options));
    io.stdout(`${JSON.stringify(response)}\n`);
  });
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

function printValidation(result: TokenValidation, flags: Flags, io: CliIo): void {
  if (flags.json) {
    io.stdout(`${JSON.stringify(result)}\n`);
    return;
  }
  if (!result.active) {
    io.stdout(`active: false\nreason: ${result.reason}\n`);
    return;
  }
  const lines = [
    'active: true',
    `sub: ${result.sub}`,
    `audiences: ${result.audiences.join(',')}`,
    `issued_at: ${new Date(result.issuedAt * 1000).toISOString()}`,
    `expires_at: ${new Date(result.expiresAt * 1000).toISOString()}`,
    `jti: ${result.jti}`,
    ...Object.entries(result.claims).map(([k, v]) => `claim ${k}: ${v}`),
  ];
  io.stdout(`${lines.join('\n')}\n`);
}

/** One event per line: JSON, or `<cursor> <scope>` and the fields that apply. */
function formatEvent(event: RevocationEvent, json: boolean): string {
  if (json) return JSON.stringify(event);
  const fields = [
    event.userId && `user=${JSON.stringify(event.userId)}`,
    event.audience && `audience=${JSON.stringify(event.audience)}`,
    event.familyId && `family=${event.familyId}`,
    event.apiKeyId && `api_key=${event.apiKeyId}`,
    event.scope !== 'family' && event.scope !== 'api_key' && event.scope !== 'heartbeat' && `watermark=${event.watermark}`,
    `at=${new Date(event.revokedAtMs).toISOString()}`,
  ].filter(Boolean);
  return [event.cursor || '-', event.scope, ...fields].join(' ');
}

/** `watch --tenant T [--after C] [--limit N] [--heartbeats]`: the revocation stream, one line per event. */
async function watch(flags: Flags, io: CliIo, secrets: Secrets): Promise<number> {
  let limit = Number.POSITIVE_INFINITY;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  }
  const client = await connect(flags, secrets);
  const stop = new AbortController();
  const interrupted = io.signal;
  interrupted?.addEventListener('abort', () => stop.abort(), { once: true });
  let seen = 0;
  try {
    const events = client.watchRevocations(
      { tenantId: flags.tenant ?? '', ...(flags.after === undefined ? {} : { after: flags.after }) },
      {
        signal: stop.signal,
        ...(flags['correlation-id'] === undefined ? {} : { correlationId: flags['correlation-id'] }),
        ...(flags.deadline === undefined ? {} : { deadlineMs: deadline(flags.deadline) }),
      },
    );
    for await (const event of events) {
      if (event.scope === 'heartbeat' && !flags.heartbeats) continue;
      io.stdout(`${formatEvent(event, flags.json === true)}\n`);
      if (event.scope !== 'heartbeat' && ++seen >= limit) break;
    }
    return EXIT.ok;
  } finally {
    stop.abort();
    client.close();
  }
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

async function health(flags: Flags, io: CliIo, secrets: Secrets): Promise<number> {
  const base = httpBase(flags);
  const tls = flags.cert !== undefined || flags.key !== undefined || flags.ca !== undefined;
  const client = createClient(clientOptions(flags, tls ? undefined : await secrets.apiKey(), false));
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

import { SealedKeySigner } from '../keys/sealed-signer.js';
import { resourceUsage } from 'node:process';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import type { Config } from '../config/config.js';
import { redisUrl, type RedisTarget } from '../config/redis-url.js';
import type { Logger } from '../observability/logger.js';
import { connectWithRetry, createRedisClient, type RedisClient } from '../store/redis/client.js';
import { createRedisStores } from '../store/redis/index.js';
import { buildTenant, tenantDefinitions, tenantSettings } from '../tenancy/tenancy.js';
import { collidingTenants } from './go-layout.js';
import { GoSource } from './go-source.js';
import { GoMigration, type MigrationCounts } from './migrate.js';

/** The command's line of the usage text. */
export const MIGRATE_FROM_GO_USAGE = `  node dist/main.js migrate-from-go --tenant <id> [--source-redis-url URL] [--dry-run] [--remove-source]
                                                      copy a tenant's refresh tokens and signing keys from the
                                                      Go service's Redis (default: the configured one)
`;

/** Where the command writes: progress and problems to `stderr`, the counts as the last line of `stdout`. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** How long each Redis gets to answer before the command gives up. */
const CONNECT_DEADLINE_MS = 10_000;
/** At most one progress line per this interval. */
const PROGRESS_EVERY_MS = 1_000;

/** A refusal or failure the command reports on stderr with this exit code. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/**
 * `migrate-from-go` (MIGRATION.md, "Moving live data"): copies one tenant's Go data into
 * the configured Redis store and prints the counts as one JSON line. Resolves with the
 * exit code: 0 done, 1 refused or failed, 2 bad arguments.
 */
export async function migrateFromGoCommand(
  argv: readonly string[],
  config: Config,
  out: CommandOutput,
  log: Logger,
): Promise<number> {
  try {
    await run(argv, config, out, log);
    return 0;
  } catch (err) {
    const exitCode = err instanceof CommandError ? err.exitCode : 1;
    const usage = exitCode === 2 ? `usage:\n${MIGRATE_FROM_GO_USAGE}` : '';
    out.stderr(`token-engine: migrate-from-go: ${(err as Error).message}\n${usage}`);
    return exitCode;
  }
}

async function run(argv: readonly string[], config: Config, out: CommandOutput, log: Logger): Promise<void> {
  const args = parseCommandArgs(argv);
  if (config.store === 'memory') {
    throw new CommandError(
      'needs the Redis store: with TOKEN_ENGINE_STORE=memory the service keeps its data inside its own process, so there is nothing to migrate into',
      1,
    );
  }
  const definitions = await tenantDefinitions(config).catch((err: unknown) => {
    throw new CommandError((err as Error).message, 1);
  });
  const definition = definitions.find((d) => d.id === args.tenant);
  if (!definition) {
    throw new CommandError(
      `tenant ${JSON.stringify(args.tenant)} is not configured: it must be TOKEN_ENGINE_ISSUER or a tenant of TOKEN_ENGINE_TENANTS_PATH`,
      1,
    );
  }
  const colliding = collidingTenants(
    args.tenant,
    definitions.map((d) => d.id),
  );
  if (colliding.length > 0) {
    throw new CommandError(
      `refusing to migrate tenant ${JSON.stringify(args.tenant)}: the Go service puts no separator after the tenant id, so its key patterns and those of tenant ${colliding.map((id) => JSON.stringify(id)).join(', ')} can match the same keys`,
      1,
    );
  }
  if (config.signer !== 'sealed') {
    throw new CommandError(
      'imports the Go signing keys sealed under TOKEN_ENGINE_KEY_ENCRYPTION_KEY, which the PKCS#11 signer does not read: run it with TOKEN_ENGINE_SIGNER=sealed (the Go keys never sign again; only their public keys are published)',
      1,
    );
  }
  if (!config.keyEncryptionKey) {
    out.stderr(
      'token-engine: migrate-from-go: TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not set: the Go signing keys are stored unencrypted, like the service stores its own\n',
    );
  }

  const clients: RedisClient[] = [];
  try {
    const target = await connect(createRedisClient(config.redis), 'the configured Redis', clients);
    const source = args.sourceUrl ? await openSource(args.sourceUrl, clients) : target;
    const stores = createRedisStores(target);
    const tenant = buildTenant(definition, tenantSettings(config), {
      signingKeys: stores.signingKeys,
      locks: stores.locks,
      clock: systemClock,
      log,
    });
    // What the service does at its first start: create the tenant's own signing key when it
    // has none (imported keys never sign), and prove the key-encryption key opens its keys.
    if (!args.dryRun) await tenant.keys.load();

    const started = Date.now();
    let lastProgress = started;
    const migration = new GoMigration(
      {
        source: new GoSource(source),
        tokens: stores.tokens,
        signingKeys: stores.signingKeys,
        tenant,
        signer: new SealedKeySigner(config.keyEncryptionKey),
        kek: config.keyEncryptionKey,
        jwksCacheMaxAgeMs: config.jwksCacheMaxAgeMs,
        clock: systemClock,
        report: {
          progress: (counts) => {
            const now = Date.now();
            if (now - lastProgress < PROGRESS_EVERY_MS) return;
            lastProgress = now;
            out.stderr(`token-engine: migrate-from-go: ${describe(counts, now - started)}\n`);
          },
          warn: (message) => out.stderr(`token-engine: migrate-from-go: ${message}\n`),
        },
      },
      { dryRun: args.dryRun, removeSource: args.removeSource },
    );
    const counts = await migration.run();
    const durationMs = Date.now() - started;
    out.stderr(`token-engine: migrate-from-go: ${summary(counts, durationMs, args.dryRun)}\n`);
    out.stdout(
      `${JSON.stringify({
        tenant_id: args.tenant,
        dry_run: args.dryRun,
        remove_source: args.removeSource,
        ...counts,
        duration_ms: durationMs,
        tokens_per_second: rate(counts.tokens_seen, durationMs),
        // resourceUsage().maxRSS is in kibibytes.
        peak_rss_mb: Math.round(resourceUsage().maxRSS / 1024),
      })}\n`,
    );
  } finally {
    for (const client of clients) await client.quit().catch(() => client.disconnect());
  }
}

interface CommandArgs {
  readonly tenant: string;
  readonly sourceUrl?: RedisTarget | undefined;
  readonly dryRun: boolean;
  readonly removeSource: boolean;
}

function parseCommandArgs(argv: readonly string[]): CommandArgs {
  let values: { tenant?: string; 'source-redis-url'?: string; 'dry-run': boolean; 'remove-source': boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        tenant: { type: 'string' },
        'source-redis-url': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'remove-source': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
  if (values.tenant === undefined || values.tenant === '') throw new CommandError('--tenant <id> is required', 2);
  let sourceUrl: RedisTarget | undefined;
  if (values['source-redis-url'] !== undefined) {
    // The URL may hold a password: messages never quote it.
    const parsed = redisUrl.parse(values['source-redis-url'], { name: '--source-redis-url', quote: () => '[redacted]' });
    if (!parsed.ok) throw new CommandError(parsed.problems.join('; '), 2);
    sourceUrl = parsed.value;
  }
  return { tenant: values.tenant, sourceUrl, dryRun: values['dry-run'], removeSource: values['remove-source'] };
}

async function connect(client: RedisClient, what: string, clients: RedisClient[]): Promise<RedisClient> {
  clients.push(client);
  // The client reconnects by itself; a command that fails meanwhile fails the run.
  client.on('error', () => {});
  try {
    await connectWithRetry(client, CONNECT_DEADLINE_MS);
  } catch (err) {
    throw new CommandError(`${what} is unreachable after ${CONNECT_DEADLINE_MS / 1000} s: ${(err as Error).message}`, 1);
  }
  return client;
}

/** The source named by --source-redis-url: a single node, or, when that node is part of a Cluster, the Cluster. */
async function openSource(target: RedisTarget, clients: RedisClient[]): Promise<RedisClient> {
  const settings = {
    host: target.host,
    port: target.port,
    username: target.username,
    password: target.password,
    tls: target.tls,
  };
  const single = await connect(createRedisClient({ ...settings, db: target.db }), 'the source Redis', clients);
  const info = await single.info('cluster');
  if (!/^cluster_enabled:1\s*$/m.test(info)) return single;
  if (target.db !== 0) {
    throw new CommandError(
      `--source-redis-url names database ${target.db}, but the source is a Redis Cluster, which has only database 0`,
      2,
    );
  }
  return connect(
    createRedisClient({ ...settings, db: 0, clusterNodes: [{ host: target.host, port: target.port }] }),
    'the source Redis Cluster',
    clients,
  );
}

function rate(count: number, durationMs: number): number {
  return durationMs > 0 ? Math.round((count * 1000) / durationMs) : count;
}

function describe(c: Readonly<MigrationCounts>, elapsedMs: number): string {
  return (
    `${c.keys_seen} signing keys read (${c.keys_imported} imported, ${c.keys_extended} extended, ${c.keys_already} already there, ` +
    `${c.keys_expired} expired, ${c.keys_malformed} malformed); ${c.tokens_seen} refresh tokens read (${c.tokens_migrated} migrated, ` +
    `${c.tokens_revoked} revoked, ${c.tokens_already} already there, ${c.tokens_expired} expired, ${c.tokens_malformed} malformed); ` +
    `${c.source_keys_removed} source keys and ${c.index_entries_removed} index entries removed; ${rate(c.tokens_seen, elapsedMs)} tokens/s`
  );
}

function summary(c: Readonly<MigrationCounts>, durationMs: number, dryRun: boolean): string {
  const prefix = dryRun ? 'dry run, nothing written or removed: ' : 'done: ';
  // An extended key was migrated before: only its publication moved on.
  const fresh = c.tokens_migrated + c.tokens_revoked + c.keys_imported;
  const nothingNew =
    fresh === 0
      ? `nothing new to migrate (${c.tokens_already} refresh tokens and ${c.keys_already + c.keys_extended} signing keys were migrated before); `
      : '';
  return `${prefix}${nothingNew}${describe(c, durationMs)}`;
}

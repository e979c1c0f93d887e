// First: starts tracing when an OTLP endpoint or OTEL_TRACES_EXPORTER is set (a no-op when already
// loaded with `node --import ./dist/instrument.js`).
import { shutdownTracing } from './instrument.js';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { isWorkerProcess, runPrimary } from './lifecycle/workers.js';
import { MIGRATE_FROM_GO_USAGE, migrateFromGoCommand } from './migration/command.js';
import { createLogger } from './observability/logger.js';

/** Whole-process budget for a graceful stop (doc/OPERATIONS.md, "Graceful shutdown"). */
const SHUTDOWN_BUDGET_MS = 30_000;

const USAGE = `usage:
  node dist/main.js                                   serve (configuration from TOKEN_ENGINE_* variables)
  node dist/main.js rotate-keys --tenant <id> [--retire-old]
                                                      emergency key rotation: the new key signs at once;
                                                      --retire-old unpublishes every older key now
${MIGRATE_FROM_GO_USAGE}`;

/** Commands besides serving; each runs and exits. */
const COMMANDS = new Set(['rotate-keys', 'migrate-from-go']);

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== undefined && !COMMANDS.has(command)) {
    process.stderr.write(`token-engine: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    process.exit(2);
  }
  const { config, warnings } = configOrExit();
  // migrate-from-go keeps standard output for its last line of counts.
  const log = createLogger(config.logLevel, command === 'migrate-from-go' ? process.stderr : undefined);
  for (const warning of warnings) log.warn(warning);
  if (command === 'rotate-keys') return rotateKeys(config, log);
  if (command === 'migrate-from-go') {
    process.exitCode = await migrateFromGoCommand(
      process.argv.slice(3),
      config,
      { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
      log,
    );
    await shutdownTracing();
    return;
  }
  if (config.workers > 1 && !isWorkerProcess()) {
    if (config.store === 'memory') {
      log.warn('TOKEN_ENGINE_WORKERS > 1 needs a shared store; the memory store runs one process');
    } else {
      runPrimary(config.workers, log);
      return;
    }
  }

  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(config, { log, clusterWorker: isWorkerProcess() });
    await app.start();
  } catch (err) {
    log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'token-engine failed to start');
    log.flush();
    await shutdownTracing();
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error('shutdown budget exceeded; exiting');
      process.exit(1);
    }, SHUTDOWN_BUDGET_MS);
    deadline.unref();
    // Spans of the drained calls are exported before the process exits (doc/OPERATIONS.md, "Graceful shutdown").
    app
      .stop()
      .finally(shutdownTracing)
      .then(
        () => {
          log.info('stopped');
          log.flush();
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    app.reloadTenants().then(
      () => log.info('tenants reloaded'),
      (err: unknown) => log.error({ err: (err as Error).message }, 'tenants reload failed; keeping the current tenants'),
    );
  });
}

function configOrExit(): ReturnType<typeof loadConfig> {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`token-engine: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

function parseRotateArgs() {
  return parseArgs({
    args: process.argv.slice(3),
    options: { tenant: { type: 'string' }, 'retire-old': { type: 'boolean', default: false } },
  });
}

/** The operator's emergency rotation (e.g. after a suspected key leak). */
async function rotateKeys(config: Config, log: ReturnType<typeof createLogger>): Promise<void> {
  let args: ReturnType<typeof parseRotateArgs>;
  try {
    args = parseRotateArgs();
  } catch (err) {
    process.stderr.write(`token-engine: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const tenantId = args.values.tenant ?? config.issuer;
  const app = await buildApp(config, { log });
  try {
    const kid = await app.rotateKeys(tenantId, args.values['retire-old']);
    process.stdout.write(`${JSON.stringify({ tenant_id: tenantId, kid, retired_old: args.values['retire-old'] })}\n`);
  } catch (err) {
    process.stderr.write(`token-engine: rotate-keys failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await app.stop();
    await shutdownTracing();
  }
}

void main();

import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './observability/logger.js';

/** Whole-process budget for a graceful stop (spec §11). */
const SHUTDOWN_BUDGET_MS = 30_000;

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`token-engine: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { config, warnings } = loaded;
  const log = createLogger(config.logLevel);
  for (const warning of warnings) log.warn(warning);

  let app;
  try {
    app = await buildApp(config, { log });
    await app.start();
  } catch (err) {
    log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'token-engine failed to start');
    log.flush();
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
    app.stop().then(
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
}

void main();

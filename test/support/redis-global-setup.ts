import type { TestProject } from 'vitest/node';
import { startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Redis for contract, integration and e2e tests; see `test/support/redis.ts`. */
    redisUrl: string;
  }
}

/** A running Redis and how to let it go. */
interface RedisHandle {
  url: string;
  source: string;
  stop: () => Promise<void>;
}

/** Shared by every project of one vitest process, so that they use one Redis. */
interface SharedRedis {
  users: number;
  handle: Promise<RedisHandle>;
}

// Each project may load this file through its own module runner, so module state is not
// reliably shared between projects; the main vitest process's globalThis is.
const SHARED = Symbol.for('token-engine.test.redis');
type GlobalWithRedis = typeof globalThis & { [SHARED]?: SharedRedis };

const CONTAINER_IMAGE = 'redis:7-alpine';
/**
 * How long the container runtime may take to answer. Without one, testcontainers says so
 * within milliseconds; a DOCKER_HOST that points nowhere could otherwise hang the run.
 */
const RUNTIME_ANSWER_MS = 5_000;

/**
 * vitest global setup for the projects that need Redis: provides `redisUrl` and returns
 * the teardown. The first project to run it starts Redis, the last one to finish stops it.
 * Order: `REDIS_URL`, then testcontainers when a container runtime answers, then a local
 * `redis-server` on a free port (test/support/redis-server.ts). It logs the path taken.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scope = globalThis as GlobalWithRedis;
  const shared = (scope[SHARED] ??= { users: 0, handle: startRedis() });
  shared.users += 1;
  let handle: RedisHandle;
  try {
    handle = await shared.handle;
  } catch (error) {
    shared.users -= 1;
    if (shared.users === 0) delete scope[SHARED];
    throw error;
  }
  project.provide('redisUrl', handle.url);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete scope[SHARED];
    await handle.stop();
  };
}

async function startRedis(): Promise<RedisHandle> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) return announce({ url: fromEnv, source: 'REDIS_URL', stop: async () => {} });

  const problems: string[] = [];
  try {
    return announce(await startContainer());
  } catch (error) {
    problems.push(`testcontainers: ${reasonOf(error)}`);
    log(`testcontainers not used (${reasonOf(error)}); starting a local redis-server`);
  }
  try {
    const server = await startRedisServer();
    return announce({ url: server.url, source: `local redis-server (${server.dir})`, stop: server.stop });
  } catch (error) {
    problems.push(`redis-server: ${reasonOf(error)}`);
  }
  throw new Error(
    [
      'No Redis available for the tests.',
      'Install redis-server (apt-get install redis-server) or set REDIS_URL=redis://host:port.',
      ...problems.map((p) => `  - ${p}`),
    ].join('\n'),
  );
}

function announce(handle: RedisHandle): RedisHandle {
  log(`using ${handle.source}: ${handle.url}`);
  return handle;
}

function log(text: string): void {
  process.stderr.write(`[redis-global-setup] ${text}\n`);
}

/** A Redis container; throws when no container runtime answers in time. */
async function startContainer(): Promise<RedisHandle> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  await withTimeout(getContainerRuntimeClient(), RUNTIME_ANSWER_MS, 'the container runtime did not answer');
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(CONTAINER_IMAGE).start();
  return {
    url: container.getConnectionUrl(),
    source: `testcontainers (${CONTAINER_IMAGE})`,
    stop: async () => {
      await container.stop();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import type { TestProject } from 'vitest/node';

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

const READY_TIMEOUT_MS = 10_000;
const CONTAINER_IMAGE = 'redis:7-alpine';

/**
 * vitest global setup for the projects that need Redis: provides `redisUrl` and returns
 * the teardown. The first project to run it starts Redis, the last one to finish stops it.
 * Order: `REDIS_URL`, then testcontainers when installed and a container runtime answers,
 * then the local `redis-server` binary on a free port.
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
    const container = await startContainer();
    if (container) return announce(container);
    problems.push('testcontainers: package not installed');
  } catch (error) {
    problems.push(`testcontainers: ${reasonOf(error)}`);
  }
  try {
    return announce(await startLocalServer());
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
  process.stderr.write(`[redis-global-setup] using ${handle.source}: ${handle.url}\n`);
  return handle;
}

/** The part of the testcontainers API used here; the package is optional. */
interface TestcontainersModule {
  getContainerRuntimeClient: () => Promise<unknown>;
  GenericContainer: new (
    image: string,
  ) => {
    withExposedPorts: (port: number) => {
      start: () => Promise<{
        getHost: () => string;
        getMappedPort: (port: number) => number;
        stop: () => Promise<unknown>;
      }>;
    };
  };
}

/** Returns undefined when testcontainers is not installed; throws when no runtime answers. */
async function startContainer(): Promise<RedisHandle | undefined> {
  // A variable specifier keeps tsc and vite from resolving a package that may be absent.
  const specifier = 'testcontainers';
  let tc: TestcontainersModule;
  try {
    tc = (await import(specifier)) as TestcontainersModule;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${specifier}'`)) return undefined;
    throw error;
  }
  // Fails fast with "Could not find a working container runtime strategy" without Docker.
  await tc.getContainerRuntimeClient();
  const container = await new tc.GenericContainer(CONTAINER_IMAGE).withExposedPorts(6379).start();
  const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  return {
    url,
    source: `testcontainers (${CONTAINER_IMAGE})`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startLocalServer(): Promise<RedisHandle> {
  // The free port can be taken between close() and redis-server's bind: retry a little.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      return await spawnRedis(port);
    } catch (error) {
      lastError = error;
      if (isNotInstalled(error)) break;
    }
  }
  throw lastError;
}

async function spawnRedis(port: number): Promise<RedisHandle> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    tmpdir(),
    '--loglevel',
    'warning',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      reject(new Error(`exited early (code ${code}, signal ${signal}): ${output.trim()}`));
    });
  });
  const polling = new AbortController();
  try {
    await Promise.race([waitForPong(port, READY_TIMEOUT_MS, polling.signal), exited]);
  } catch (error) {
    polling.abort();
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    throw error;
  }
  exited.catch(() => {});
  return {
    url: `redis://127.0.0.1:${port}`,
    source: `local redis-server (pid ${child.pid})`,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: the spawn itself failed (ENOENT) and there is nothing to stop.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function isNotInstalled(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function reasonOf(error: unknown): string {
  if (isNotInstalled(error)) return 'binary not found on PATH';
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}

/** Polls with a raw RESP `PING` until the server answers `+PONG`. */
async function waitForPong(port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Stop polling once the caller gave up (the server exited), or the loop holds vitest open.
    if (signal.aborted) throw new Error('stopped waiting for PONG');
    if (await pingOnce(port)) return;
    if (Date.now() > deadline) throw new Error(`no PONG on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

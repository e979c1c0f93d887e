import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * The one way this repository starts a throwaway Redis: a `redis-server` from the Debian
 * binaries on a free loopback port, in its own temporary directory, nothing persisted
 * (`--save ''`, no AOF). The vitest global setup (when there is no REDIS_URL and no
 * container runtime), the Cluster and Sentinel topologies (redis-topologies.ts) and the
 * benchmarks all start their servers here. Nothing in it depends on vitest.
 */

/** A loopback Redis endpoint. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Every server listens on loopback only. */
export const HOST = '127.0.0.1';
const INSTALL_HINT = 'apt-get install redis-server redis-sentinel redis-tools';
/** How long a started server may take to answer PING. */
export const SERVER_READY_MS = 10_000;
const POLL_MS = 100;

/** A standalone redis-server owned by its starter (the test run, one test file, or a benchmark). */
export interface RedisServer {
  readonly node: HostPort;
  readonly url: string;
  readonly dir: string;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/** Starts one standalone redis-server on a free loopback port, with nothing persisted. */
export async function startRedisServer(): Promise<RedisServer> {
  requireBinaries(['redis-server'], 'a Redis server');
  const group = new ProcessGroup(await mkdtemp(join(tmpdir(), 'te-redis-server-')));
  try {
    const node = await group.startServer('server', () => []);
    return { node, url: `redis://${node.host}:${node.port}`, dir: group.dir, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw error;
  }
}

/** Throws, naming the packages to install, when a binary is not on PATH. */
export function requireBinaries(names: readonly string[], what: string): void {
  const missing = names.filter((name) => !onPath(name));
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not found on PATH: ${what} needs them. Install with: ${INSTALL_HINT} (CI does so in .ci/run).`,
    );
  }
}

function onPath(name: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * The redis-server processes (servers and sentinels) of one setup and their directory.
 * Every process is SIGKILLed when the group stops or the Node process exits.
 */
export class ProcessGroup {
  private readonly children = new Map<number, { name: string; child: ChildProcess; log: string }>();
  private stopped = false;
  private readonly killOnExit = (): void => {
    for (const { child } of this.children.values()) child.kill('SIGKILL');
  };

  constructor(readonly dir: string) {
    // A crashed test worker must not leave servers behind.
    process.once('exit', this.killOnExit);
  }

  /**
   * Starts a redis-server on a free port with `extraPorts` more free ports handed to
   * `args`; retries with new ports when the server cannot bind.
   */
  async startServer(
    name: string,
    args: (port: number, extraPorts: number[]) => string[],
    extraPorts = 0,
    password?: string,
  ): Promise<HostPort> {
    return this.withFreshPorts(1 + extraPorts, async ([port, ...extra]) => {
      const dir = join(this.dir, `${name}-${port}`);
      await mkdir(dir);
      const log = join(dir, 'redis.log');
      await this.spawnAndWait(
        name,
        port,
        log,
        [
          '--port',
          String(port),
          '--bind',
          HOST,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--logfile',
          log,
          '--loglevel',
          'notice',
          ...(password === undefined ? [] : ['--requirepass', password]),
          ...args(port, extra),
        ],
        password,
      );
      return { host: HOST, port };
    });
  }

  /**
   * Starts `redis-server <conf> --sentinel` with its own writable config file; with a
   * password, the Sentinel requires it (`requirepass`).
   */
  async startSentinel(name: string, conf: (port: number, dir: string) => string[], password?: string): Promise<HostPort> {
    return this.withFreshPorts(1, async ([port]) => {
      const dir = join(this.dir, `${name}-${port}`);
      await mkdir(dir);
      const log = join(dir, 'sentinel.log');
      const file = join(dir, 'sentinel.conf');
      // Sentinel rewrites this file (ids, discovered replicas and peers): it must be writable.
      const auth = password === undefined ? [] : [`requirepass ${password}`];
      await writeFile(file, [...conf(port, dir), ...auth, `logfile ${log}`, ''].join('\n'));
      await this.spawnAndWait(name, port, log, [file, '--sentinel'], password);
      return { host: HOST, port };
    });
  }

  /** SIGKILLs the process listening on `port` and waits for it to exit. */
  async kill(port: number): Promise<void> {
    const entry = this.children.get(port);
    if (!entry) throw new Error(`no process of this topology listens on ${port}`);
    await killAndWait(entry.child);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.killOnExit);
    await Promise.all([...this.children.values()].map(({ child }) => killAndWait(child)));
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Tail of every process's log, for error messages. */
  async logs(): Promise<string> {
    const parts: string[] = [];
    for (const [port, { name, log }] of this.children) {
      const text = await readFile(log, 'utf8').catch(() => '(no log)');
      parts.push(`--- ${name} :${port}\n${text.split('\n').slice(-15).join('\n')}`);
    }
    return parts.join('\n');
  }

  private async withFreshPorts<T>(count: number, start: (ports: [number, ...number[]]) => Promise<T>): Promise<T> {
    // The free ports can be taken between close() and redis-server's bind: retry a little.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const [port, ...extra] = await freePorts(count);
        if (port === undefined) throw new Error('no free port');
        return await start([port, ...extra]);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  private async spawnAndWait(name: string, port: number, log: string, args: string[], password?: string): Promise<void> {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.children.set(port, { name, child, log });
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    try {
      await waitUntil(`${name} to answer PING on ${HOST}:${port}`, SERVER_READY_MS, async () => {
        if (spawnError) throw new GiveUp(`${name} could not be started: ${spawnError.message}`);
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new GiveUp(`${name} exited early (code ${child.exitCode}, signal ${child.signalCode})`);
        }
        return (await command({ host: HOST, port, password }, 'PING')) === 'PONG';
      });
    } catch (error) {
      const text = await readFile(log, 'utf8').catch(() => '');
      await killAndWait(child);
      this.children.delete(port);
      throw new Error(`${(error as Error).message}\n${text.split('\n').slice(-10).join('\n')}`, { cause: error });
    }
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** `count` distinct free loopback ports (all held open together, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      server.listen(0, HOST);
      await once(server, 'listening');
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Where a server is, and the password it requires, if any. */
export type Endpoint = HostPort & { readonly password?: string | undefined };

/** One command on a short-lived connection that never retries or queues. */
export async function command(at: Endpoint, ...args: [string, ...(string | number)[]]): Promise<unknown> {
  const client = new Redis({
    host: at.host,
    port: at.port,
    ...(at.password === undefined ? {} : { password: at.password }),
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(...args);
  } finally {
    client.disconnect();
  }
}

/** Thrown by a `waitUntil` check to stop waiting at once. */
class GiveUp extends Error {}

/** Polls `check` (a thrown error other than GiveUp counts as "not yet") until it is true or `timeoutMs` passed. */
export async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  group?: ProcessGroup,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const logs = group ? `\n${await group.logs()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

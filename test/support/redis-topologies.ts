import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Real multi-process Redis topologies for the contract and failover tests: a 3-master
 * Cluster and a Sentinel-managed master/replica, started from the Debian binaries on free
 * loopback ports in a temporary directory. Nothing is persisted (`--save ''`, no AOF).
 */

/** A loopback Redis endpoint. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** A running 3-master Redis Cluster. */
export interface RedisClusterTopology {
  /** The masters, every one a valid seed node. */
  readonly nodes: readonly HostPort[];
  /** Where the node directories and logs are (removed by `stop`). */
  readonly dir: string;
  /** Kills every node and removes the directory. */
  stop(): Promise<void>;
}

/** A running Sentinel setup: one master, one replica, three sentinels. */
export interface RedisSentinelTopology {
  /** The master group name the sentinels monitor. */
  readonly masterName: string;
  /** The sentinels, as a client lists them. */
  readonly sentinels: readonly HostPort[];
  /** The master at start. */
  readonly initialMaster: HostPort;
  /** The replica at start (promoted by a failover). */
  readonly initialReplica: HostPort;
  readonly dir: string;
  /** The master address as the first answering sentinel reports it. */
  currentMaster(): Promise<HostPort>;
  /** SIGKILLs the current master's process; resolves with its address once it is gone. */
  killMaster(): Promise<HostPort>;
  /**
   * Resolves with the new master once every live sentinel names a master other than
   * `from` and that server answers `ROLE` as master; rejects after `timeoutMs`.
   */
  waitForFailover(from: HostPort, timeoutMs?: number): Promise<HostPort>;
  /** Kills every process and removes the directory. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const INSTALL_HINT = 'apt-get install redis-server redis-sentinel redis-tools';
const SERVER_READY_MS = 10_000;
const CLUSTER_READY_MS = 20_000;
const SENTINEL_READY_MS = 20_000;
const FAILOVER_MS = 20_000;
const POLL_MS = 100;
/** `redis-cli --cluster create` needs at least 3 masters. */
const CLUSTER_MASTERS = 3;

/** Starts a 3-master Redis Cluster (no replicas) and waits until every node is `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisClusterTopology> {
  requireBinaries(['redis-server', 'redis-cli'], 'a Redis Cluster');
  const group = new ProcessGroup(await mkdtemp(join(tmpdir(), 'te-redis-cluster-')));
  try {
    const nodes: HostPort[] = [];
    for (let i = 0; i < CLUSTER_MASTERS; i += 1) {
      const node = await group.startServer(
        `node-${i}`,
        (_port, [busPort]) => [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          // An explicit bus port: the default (port + 10000) may be taken or above 65535.
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '5000',
        ],
        1,
      );
      nodes.push(node);
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      CLUSTER_READY_MS,
    );
    await waitUntil(
      `cluster_state:ok on ${nodes.length} nodes`,
      CLUSTER_READY_MS,
      async () => {
        for (const n of nodes) {
          const info = parseInfo(String(await command(n, 'CLUSTER', 'INFO')));
          if (info['cluster_state'] !== 'ok' || info['cluster_known_nodes'] !== String(nodes.length)) return false;
          if (info['cluster_slots_ok'] !== '16384') return false;
        }
        return true;
      },
      group,
    );
    return { nodes, dir: group.dir, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw error;
  }
}

/** A single redis-server owned by one test file (for measurements that need a quiet server). */
export interface RedisServerTopology {
  readonly node: HostPort;
  readonly url: string;
  readonly dir: string;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/** Starts one standalone redis-server on a free loopback port, with nothing persisted. */
export async function startRedisServer(): Promise<RedisServerTopology> {
  requireBinaries(['redis-server'], 'a dedicated Redis server');
  const group = new ProcessGroup(await mkdtemp(join(tmpdir(), 'te-redis-server-')));
  try {
    const node = await group.startServer('server', () => []);
    return { node, url: `redis://${node.host}:${node.port}`, dir: group.dir, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw error;
  }
}

/**
 * Starts a master, a replica of it and three sentinels (quorum 2, down after 1 s,
 * failover timeout 5 s), and waits until the replica is in sync and every sentinel
 * sees the master, the replica and the two other sentinels: a failover can then happen.
 */
export async function startRedisSentinel(masterName = 'mymaster'): Promise<RedisSentinelTopology> {
  // Sentinel mode is part of the redis-server binary (`redis-sentinel` is a link to it).
  requireBinaries(['redis-server'], 'a Redis Sentinel setup');
  const group = new ProcessGroup(await mkdtemp(join(tmpdir(), 'te-redis-sentinel-')));
  try {
    const master = await group.startServer('master', () => []);
    const replica = await group.startServer('replica', () => ['--replicaof', master.host, String(master.port)]);
    await waitUntil(
      'the replica in sync with the master',
      SERVER_READY_MS,
      async () => {
        const info = parseInfo(String(await command(replica, 'INFO', 'replication')));
        return info['master_link_status'] === 'up' && info['master_sync_in_progress'] === '0';
      },
      group,
    );

    const sentinels: HostPort[] = [];
    for (let i = 0; i < 3; i += 1) {
      sentinels.push(
        await group.startSentinel(`sentinel-${i}`, (port, dir) => [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${masterName} ${master.host} ${master.port} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
        ]),
      );
    }
    await waitUntil(
      'every sentinel to see the master, the replica and 2 other sentinels',
      SENTINEL_READY_MS,
      async () => {
        for (const s of sentinels) {
          const m = pairs(await command(s, 'SENTINEL', 'MASTER', masterName));
          if (m['flags'] !== 'master' || m['num-slaves'] !== '1' || m['num-other-sentinels'] !== '2') return false;
        }
        return true;
      },
      group,
    );

    const currentMaster = async (): Promise<HostPort> => {
      for (const s of sentinels) {
        try {
          const reply = (await command(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string] | null;
          if (reply) return { host: reply[0], port: Number(reply[1]) };
        } catch {
          // this sentinel is not answering: ask the next one
        }
      }
      throw new Error(`no sentinel answers for ${masterName}`);
    };

    return {
      masterName,
      sentinels,
      initialMaster: master,
      initialReplica: replica,
      dir: group.dir,
      currentMaster,
      killMaster: async () => {
        const target = await currentMaster();
        await group.kill(target.port);
        return target;
      },
      waitForFailover: async (from, timeoutMs = FAILOVER_MS) => {
        let next: HostPort | undefined;
        await waitUntil(
          `the sentinels to promote a new master (old ${from.host}:${from.port})`,
          timeoutMs,
          async () => {
            const seen = new Set<number>();
            for (const s of sentinels) {
              const reply = (await command(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
              seen.add(Number(reply[1]));
            }
            const [port] = [...seen];
            if (seen.size !== 1 || port === undefined || port === from.port) return false;
            const role = (await command({ host: HOST, port }, 'ROLE')) as [string, ...unknown[]];
            if (role[0] !== 'master') return false;
            next = { host: HOST, port };
            return true;
          },
          group,
        );
        if (!next) throw new Error('unreachable: failover wait ended without a master');
        return next;
      },
      stop: () => group.stop(),
    };
  } catch (error) {
    await group.stop();
    throw error;
  }
}

/** Throws, naming the packages to install, when a binary is not on PATH. */
function requireBinaries(names: readonly string[], what: string): void {
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

/** The server and sentinel processes of one topology, and its directory. */
class ProcessGroup {
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
  async startServer(name: string, args: (port: number, extraPorts: number[]) => string[], extraPorts = 0): Promise<HostPort> {
    return this.withFreshPorts(1 + extraPorts, async ([port, ...extra]) => {
      const dir = join(this.dir, `${name}-${port}`);
      await mkdir(dir);
      const log = join(dir, 'redis.log');
      await this.spawnAndWait(name, port, log, [
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
        ...args(port, extra),
      ]);
      return { host: HOST, port };
    });
  }

  /** Starts `redis-server <conf> --sentinel` with its own writable config file. */
  async startSentinel(name: string, conf: (port: number, dir: string) => string[]): Promise<HostPort> {
    return this.withFreshPorts(1, async ([port]) => {
      const dir = join(this.dir, `${name}-${port}`);
      await mkdir(dir);
      const log = join(dir, 'sentinel.log');
      const file = join(dir, 'sentinel.conf');
      // Sentinel rewrites this file (ids, discovered replicas and peers): it must be writable.
      await writeFile(file, [...conf(port, dir), `logfile ${log}`, ''].join('\n'));
      await this.spawnAndWait(name, port, log, [file, '--sentinel']);
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

  private async spawnAndWait(name: string, port: number, log: string, args: string[]): Promise<void> {
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
        return (await command({ host: HOST, port }, 'PING')) === 'PONG';
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
async function freePorts(count: number): Promise<number[]> {
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

/** One command on a short-lived connection that never retries or queues. */
async function command(at: HostPort, ...args: [string, ...(string | number)[]]): Promise<unknown> {
  const client = new Redis({
    host: at.host,
    port: at.port,
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
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, group?: ProcessGroup): Promise<void> {
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

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** `INFO` text → field map. */
function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

/** A flat `[k1, v1, k2, v2, …]` reply → field map. */
function pairs(reply: unknown): Record<string, string> {
  const list = reply as string[];
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = String(list[i + 1]);
  return fields;
}

import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  command,
  type Endpoint,
  HOST,
  type HostPort,
  ProcessGroup,
  requireBinaries,
  SERVER_READY_MS,
  waitUntil,
} from './redis-server.js';

export type { HostPort } from './redis-server.js';

/**
 * Real multi-process Redis topologies for the contract and failover tests: a 3-master
 * Cluster and a Sentinel-managed master/replica, built from the servers redis-server.ts
 * starts (free loopback ports, a temporary directory, nothing persisted).
 */

/** A running 3-master Redis Cluster. */
export interface RedisClusterTopology {
  /** The masters, every one a valid seed node. */
  readonly nodes: readonly HostPort[];
  /** Where the node directories and logs are (removed by `stop`). */
  readonly dir: string;
  /** Kills every node and removes the directory. */
  stop(): Promise<void>;
}

/** Passwords of a Sentinel setup: Redis's (`requirepass`/`masterauth`) and the Sentinels' own. */
export interface SentinelAuth {
  readonly password?: string;
  readonly sentinelPassword?: string;
}

/** A running Sentinel setup: one master, one replica, three sentinels. */
export interface RedisSentinelTopology {
  /** The master group name the sentinels monitor. */
  readonly masterName: string;
  /** The passwords it was started with. */
  readonly auth: SentinelAuth;
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

const CLUSTER_READY_MS = 20_000;
const SENTINEL_READY_MS = 20_000;
const FAILOVER_MS = 20_000;
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

/**
 * Starts a master, a replica of it and three sentinels (quorum 2, down after 1 s,
 * failover timeout 5 s), and waits until the replica is in sync and every sentinel
 * sees the master, the replica and the two other sentinels: a failover can then happen.
 * With `auth`, the servers require `password` (and the replica and the Sentinels log in
 * to the master with it), and the Sentinels require `sentinelPassword`, which they also
 * use among themselves.
 */
export async function startRedisSentinel(masterName = 'mymaster', auth: SentinelAuth = {}): Promise<RedisSentinelTopology> {
  // Sentinel mode is part of the redis-server binary (`redis-sentinel` is a link to it).
  requireBinaries(['redis-server'], 'a Redis Sentinel setup');
  const group = new ProcessGroup(await mkdtemp(join(tmpdir(), 'te-redis-sentinel-')));
  try {
    const { password, sentinelPassword } = auth;
    const masterAuth = password === undefined ? [] : ['--masterauth', password];
    const server = (at: HostPort): Endpoint => ({ ...at, password });
    const sentinel = (at: HostPort): Endpoint => ({ ...at, password: sentinelPassword });
    const master = await group.startServer('master', () => masterAuth, 0, password);
    const replica = await group.startServer(
      'replica',
      () => [...masterAuth, '--replicaof', master.host, String(master.port)],
      0,
      password,
    );
    await waitUntil(
      'the replica in sync with the master',
      SERVER_READY_MS,
      async () => {
        const info = parseInfo(String(await command(server(replica), 'INFO', 'replication')));
        return info['master_link_status'] === 'up' && info['master_sync_in_progress'] === '0';
      },
      group,
    );

    const sentinels: HostPort[] = [];
    for (let i = 0; i < 3; i += 1) {
      sentinels.push(
        await group.startSentinel(
          `sentinel-${i}`,
          (port, dir) => [
            `port ${port}`,
            `bind ${HOST}`,
            `dir ${dir}`,
            `sentinel monitor ${masterName} ${master.host} ${master.port} 2`,
            `sentinel down-after-milliseconds ${masterName} 1000`,
            `sentinel failover-timeout ${masterName} 5000`,
            `sentinel parallel-syncs ${masterName} 1`,
            ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${password}`]),
          ],
          sentinelPassword,
        ),
      );
    }
    await waitUntil(
      'every sentinel to see the master, the replica and 2 other sentinels',
      SENTINEL_READY_MS,
      async () => {
        for (const s of sentinels) {
          const m = pairs(await command(sentinel(s), 'SENTINEL', 'MASTER', masterName));
          if (m['flags'] !== 'master' || m['num-slaves'] !== '1' || m['num-other-sentinels'] !== '2') return false;
        }
        return true;
      },
      group,
    );

    const currentMaster = async (): Promise<HostPort> => {
      for (const s of sentinels) {
        try {
          const reply = (await command(sentinel(s), 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as
            | [string, string]
            | null;
          if (reply) return { host: reply[0], port: Number(reply[1]) };
        } catch {
          // this sentinel is not answering: ask the next one
        }
      }
      throw new Error(`no sentinel answers for ${masterName}`);
    };

    return {
      masterName,
      auth,
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
              const reply = (await command(sentinel(s), 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
              seen.add(Number(reply[1]));
            }
            const [port] = [...seen];
            if (seen.size !== 1 || port === undefined || port === from.port) return false;
            const role = (await command(server({ host: HOST, port }), 'ROLE')) as [string, ...unknown[]];
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

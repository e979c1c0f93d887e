import type { TestProject } from 'vitest/node';
import type { HostPort } from './redis-server.js';
import { startRedisCluster, startRedisSentinel } from './redis-topologies.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The masters of a 3-master Cluster started for the contract suites. */
    redisClusterNodes: readonly HostPort[];
    /** A Sentinel-managed master/replica started for the contract suites. */
    redisSentinel: { readonly masterName: string; readonly sentinels: readonly HostPort[] };
  }
}

/**
 * vitest global setup of the contract project: one Cluster and one Sentinel setup for
 * the whole run, started side by side, shared by every suite (each test uses its own
 * tenant ids). Tests that break a topology (failover) start their own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [cluster, sentinel] = await Promise.allSettled([startRedisCluster(), startRedisSentinel()]);
  const stopAll = async (): Promise<void> => {
    await Promise.all([cluster, sentinel].map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  };
  if (cluster.status === 'rejected' || sentinel.status === 'rejected') {
    await stopAll();
    const reasons = [cluster, sentinel].flatMap((s) => (s.status === 'rejected' ? [reasonOf(s.reason)] : []));
    throw new Error(`the contract topologies could not be started:\n${reasons.join('\n')}`);
  }
  process.stderr.write(
    `[redis-topologies-setup] Cluster ${cluster.value.nodes.map((n) => n.port).join(', ')}; ` +
      `Sentinel ${sentinel.value.sentinels.map((n) => n.port).join(', ')}\n`,
  );
  project.provide('redisClusterNodes', cluster.value.nodes);
  project.provide('redisSentinel', { masterName: sentinel.value.masterName, sentinels: sentinel.value.sentinels });
  return stopAll;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

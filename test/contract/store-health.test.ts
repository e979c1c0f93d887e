import { expect, it } from 'vitest';
import { isDomainError } from '../../src/errors.js';
import { createRedisClient } from '../../src/store/redis/client.js';
import { createRedisStores } from '../../src/store/redis/index.js';
import { command, freePorts, HOST } from '../support/redis-server.js';
import { describeStoreTargets } from '../support/stores.js';

// The readiness ping of every store target, and what a Redis store says when Redis is away.
describeStoreTargets('StoreHealth', (backend, stores) => {
  it('answers the ping while the backend serves', async () => {
    await expect(stores().health.ping()).resolves.toBeUndefined();
  });

  if (backend !== 'memory')
    it('a store whose Redis does not answer fails with the retryable store_unavailable error', async () => {
      // The same topology's client, pointed at a loopback port where nothing listens.
      const [port = 1] = await freePorts(1);
      const nowhere = [{ host: HOST, port }];
      const settings = { host: HOST, port, db: 0, tls: false };
      const client = createRedisClient(
        backend === 'redis-cluster'
          ? { ...settings, clusterNodes: nowhere }
          : backend === 'redis-sentinel'
            ? { ...settings, sentinels: nowhere, sentinelMaster: 'mymaster' }
            : settings,
      );
      // The failed connection attempts are what this test is about, not noise to report.
      client.on('error', () => {});
      const absent = createRedisStores(client);
      try {
        const failure = await absent.health.ping().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isDomainError(failure, 'store_unavailable'), String(failure)).toBe(true);
        const write = await absent.locks.acquire('job', 1_000).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isDomainError(write, 'store_unavailable'), String(write)).toBe(true);
      } finally {
        await absent.close();
      }
    });

  if (backend === 'redis-sentinel')
    it('the client writes to the master the sentinels name', async () => {
      const { raw, sentinel } = stores();
      if (!raw || !sentinel) throw new Error('the Sentinel target needs its connection and sentinels');
      const [first] = sentinel.sentinels;
      if (!first) throw new Error('no sentinels');
      const [, port] = (await command(first, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', sentinel.masterName)) as [string, string];
      const info = String(await raw.info('server'));
      expect(info).toContain(`tcp_port:${port}`);
      expect(((await raw.call('ROLE')) as string[])[0]).toBe('master');
    });
});

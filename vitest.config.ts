import { defineConfig } from 'vitest/config';

// Projects that talk to a real Redis. They share one global setup file, which starts a
// single Redis per vitest run however many of these projects are selected.
// The same projects get the run's throwaway SoftHSM2 token for the PKCS#11 signer tests.
const withRedis = {
  globalSetup: ['test/support/redis-global-setup.ts', 'test/support/softhsm-global-setup.ts'],
  testTimeout: 20_000,
  hookTimeout: 30_000,
};

export default defineConfig({
  test: {
    // Child processes rather than worker threads: grpc-js and http2 sockets behave.
    pool: 'forks',
    // The CI machine has 2 cores; more workers only add contention on Redis and the CPU.
    maxWorkers: 2,
    // A stray `.only` must not silently skip the rest of the suite in CI.
    allowOnly: !process.env['CI'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/deploy/**/*.test.ts'] } },
      // The contract suites also run on a Cluster and a Sentinel setup, started once per run.
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          ...withRedis,
          globalSetup: [...withRedis.globalSetup, 'test/support/redis-topologies-setup.ts'],
        },
      },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...withRedis } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...withRedis } },
      // The client SDK, CLI and examples against a started service; the CLI and examples run
      // from dist/, which the second global setup rebuilds (client build only) first.
      {
        test: {
          name: 'client',
          include: ['test/client/**/*.test.ts'],
          ...withRedis,
          globalSetup: [...withRedis.globalSetup, 'test/client/support/build-client.ts'],
        },
      },
    ],
  },
});

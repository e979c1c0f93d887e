/**
 * TOKEN_ENGINE_WORKERS=N: N processes share the gRPC and HTTP ports (node:cluster), so one
 * host uses all its cores for the event-loop work (gRPC framing, protobuf, JSON, Redis
 * replies) that a single process cannot spread. The primary only supervises: it forks the
 * workers, restarts one that dies, forwards stop signals, and aggregates metrics so one
 * scrape of /metrics on any worker sees the whole host.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';

const METRICS_REQUEST = 'token-engine:metrics-request';
const METRICS_RESPONSE = 'token-engine:metrics-response';
/** Each worker gets this long to stop (its own budget is 30 s) before it is killed. */
const WORKER_STOP_BUDGET_MS = 35_000;

interface MetricsRequest {
  readonly type: typeof METRICS_REQUEST;
  readonly id: number;
}
interface MetricsResponse {
  readonly type: typeof METRICS_RESPONSE;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** True in a process forked by the primary. */
export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/** Runs the primary: forks `count` workers and supervises them until a stop signal. */
export function runPrimary(count: number, log: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const restarts: number[] = [];

  cluster.on('message', (worker: Worker, message: MetricsRequest) => {
    if (message?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text } satisfies MetricsResponse),
      (err: Error) => worker.send({ type: METRICS_RESPONSE, id: message.id, error: err.message } satisfies MetricsResponse),
    );
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    // A worker that keeps dying (bad config, Redis gone for good) must not spin forever.
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && (restarts[0] ?? now) < now - 60_000) restarts.shift();
    if (restarts.length > 5 * count) {
      log.fatal({ code, signal }, 'workers keep exiting; giving up');
      process.exit(1);
    }
    log.error({ worker_pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    cluster.fork();
  });

  for (let i = 0; i < count; i++) cluster.fork();
  log.info({ workers: count }, 'token-engine workers started');

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: stopping workers now');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping workers');
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const force = setTimeout(() => {
      for (const w of alive) w.process.kill('SIGKILL');
      process.exit(1);
    }, WORKER_STOP_BUDGET_MS);
    force.unref();
    let failed = false;
    let remaining = alive.length;
    if (remaining === 0) process.exit(0);
    for (const worker of alive) {
      worker.once('exit', (code) => {
        failed ||= code !== 0;
        if (--remaining === 0) process.exit(failed ? 1 : 0);
      });
      worker.process.kill(signal);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Tenants reload: every worker re-reads the tenants file.
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });
}

/**
 * In a worker: lets the primary collect this worker's registry, and returns what /metrics
 * should serve — the whole host's metrics, aggregated by the primary.
 */
export function joinMetricsAggregation(registry: Registry): () => Promise<string> {
  new AggregatorRegistry(); // installs the worker-side responder
  AggregatorRegistry.setRegistries([registry]);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: MetricsResponse) => {
    if (message?.type !== METRICS_RESPONSE) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (!waiter) return;
    if (message.error !== undefined) waiter.reject(new Error(message.error));
    else waiter.resolve(message.text ?? '');
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, 5_000);
      pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}

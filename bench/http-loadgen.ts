// HTTP/1.1 load generator for the peer's token endpoint: `concurrency` keep-alive
// connections, each with one request in flight (HTTP/1.1 does not multiplex), the same
// duration and call bound as the gRPC generator, a warm-up before the timed phase like
// it, and the same result line.
// Usage: node dist/bench/bench/http-loadgen.js '<json options>'  → prints one JSON line.
import { Agent, request } from 'node:http';
import { percentile } from './lib.js';
import type { LoadResult } from './loadgen.js';

/** The JSON line printed at the end: the gRPC generator's, with its own mode. */
export type HttpLoadResult = Omit<LoadResult, 'mode'> & { mode: 'oidc-client-credentials' };

/** What the orchestrator asks for (one JSON argument). */
export interface HttpLoadOptions {
  readonly url: string;
  readonly body: string;
  readonly authorization: string;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly maxCalls: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as HttpLoadOptions;
const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
const target = new URL(o.url);
const body = Buffer.from(o.body);

function post(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          authorization: o.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// Warm-up on the same requests, untimed: connections, JIT, the provider's caches.
const warmUntil = performance.now() + Math.min(1000, o.durationMs / 3);
await Promise.all(
  Array.from({ length: o.concurrency }, async () => {
    while (performance.now() < warmUntil) await post().catch(() => 0);
  }),
);
// Tells the orchestrator the timed phase starts now (it reads the peer's CPU here).
console.log(JSON.stringify({ phase: 'timed' }));

const latencies: number[] = [];
let errors = 0;
let firstError: string | undefined;
let calls = 0;
const started = performance.now();
const deadline = started + o.durationMs;
await Promise.all(
  Array.from({ length: o.concurrency }, async () => {
    while (calls < o.maxCalls && performance.now() < deadline) {
      calls += 1;
      const t0 = performance.now();
      try {
        const status = await post();
        if (status !== 200) {
          errors += 1;
          firstError ??= `HTTP ${status}`;
        }
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
      }
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const result: HttpLoadResult = {
  mode: 'oidc-client-credentials',
  concurrency: o.concurrency,
  calls,
  errors,
  firstError,
  seconds,
  rps: calls / seconds,
  p50: percentile(latencies, 50),
  p90: percentile(latencies, 90),
  p99: percentile(latencies, 99),
};
console.log(JSON.stringify(result));
agent.destroy();

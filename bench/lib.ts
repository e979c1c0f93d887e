// Shared helpers for the benchmarks: processes, Redis, percentiles, /proc readings.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../test/support/redis-server.js';

/** Where the compiled bench scripts are (dist/bench/bench/); runNode starts its siblings. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest directory above this script with a package.json. */
export const ROOT = findRoot(BENCH_DIR);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      if (address === null || typeof address === 'string') return reject(new Error('no TCP port assigned'));
      s.close(() => resolve(address.port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A Redis for a benchmark and how to let it go. */
export interface BenchRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/** REDIS_URL when set, else a throwaway redis-server (test/support/redis-server.ts). */
export async function startRedis(): Promise<BenchRedis> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) return { url: fromEnv, stop: async () => {} };
  return startRedisServer();
}

/** The built service, started by startService. */
export interface RunningService {
  readonly pid: number;
  /** host:port of the gRPC server. */
  readonly grpc: string;
  /** Base URL of the HTTP sidecar. */
  readonly http: string;
  stop(): Promise<void>;
}

/** Spawns the built service on free ports and waits until it is ready. */
export async function startService(env: Record<string, string>): Promise<RunningService> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    env: {
      PATH: process.env['PATH'],
      TOKEN_ENGINE_LOG_LEVEL: 'warn',
      TOKEN_ENGINE_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
      TOKEN_ENGINE_HTTP_ADDR: `127.0.0.1:${httpPort}`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const http = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`service exited before it was ready:\n${err}`);
    if (i > 600) throw new Error(`service not ready after 30 s:\n${err}`);
    try {
      if ((await fetch(`${http}/healthz/ready`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  return {
    pid: pidOf(child),
    grpc: `127.0.0.1:${grpcPort}`,
    http,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The pid of a started child; a spawn that failed has none and cannot be measured. */
export function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error(`${child.spawnfile} could not be started`);
  return child.pid;
}

/** CPU seconds (user + system) of a process and its live children, from /proc. */
export function cpuSeconds(pid: number): number {
  const pids = [pid, ...childPids(pid)];
  let ticks = 0;
  for (const p of pids) {
    try {
      const fields = (readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / 100;
}

/**
 * CPU seconds of a process's main thread only (the event loop; its thread id is the pid),
 * leaving out the libuv pool and the other threads where signatures may run.
 */
export function mainThreadCpuSeconds(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory in MiB of a process and its live children. */
export function rssMiB(pid: number): number {
  let kb = 0;
  for (const p of [pid, ...childPids(pid)]) {
    try {
      const line = readFileSync(`/proc/${p}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('VmRSS:'));
      kb += Number(line?.split(/\s+/)[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb / 1024;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const at = (i: number): number => s[i] ?? Number.NaN;
  return s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2;
}

/**
 * Runs a sibling bench script (`loadgen`, `sign-ceiling`, …) as a separate process and
 * parses the JSON it prints last. `onLine` sees every earlier line (the load generator
 * marks its timed phase with them). The caller names the shape of that JSON.
 */
export function runNode<T>(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  onLine: (line: string) => void = () => {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [benchScript(script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      for (; seen < lines.length - 1; seen++) onLine(lines[seen] ?? '');
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      const last = out.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(last) as T);
    });
  });
}

/** The compiled file of a sibling bench script. */
export function benchScript(name: string): string {
  return join(BENCH_DIR, `${name}.js`);
}

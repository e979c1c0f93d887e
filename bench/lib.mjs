// Shared helpers for the benchmarks: processes, Redis, percentiles, /proc readings.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts a throwaway redis-server unless REDIS_URL is set. */
export async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  const { Redis } = await import('ioredis');
  for (let i = 0; i < 100; i++) {
    try {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await r.connect();
      await r.ping();
      r.disconnect();
      break;
    } catch {
      await sleep(50);
    }
  }
  return { url, pid: child.pid, stop: async () => child.kill('SIGKILL') };
}

/** Spawns the built service on free ports and waits until it is ready. */
export async function startService(env) {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      TOKEN_ENGINE_LOG_LEVEL: 'warn',
      TOKEN_ENGINE_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
      TOKEN_ENGINE_HTTP_ADDR: `127.0.0.1:${httpPort}`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
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
    pid: child.pid,
    grpc: `127.0.0.1:${grpcPort}`,
    http,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** CPU seconds (user + system) of a process and its live children, from /proc. */
export function cpuSeconds(pid) {
  const pids = [pid, ...childPids(pid)];
  let ticks = 0;
  for (const p of pids) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / 100;
}

/** Resident memory in MiB of a process and its live children. */
export function rssMiB(pid) {
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

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Runs a node script as a separate process and parses the JSON it prints last.
 * `onLine` sees every earlier line (the load generator marks its timed phase with them).
 */
export function runNode(script, args, env = {}, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let seen = 0;
    child.stdout.on('data', (d) => {
      out += d.toString();
      const lines = out.split('\n');
      for (; seen < lines.length - 1; seen++) onLine(lines[seen]);
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      const last = out.trim().split('\n').at(-1);
      resolve(JSON.parse(last));
    });
  });
}

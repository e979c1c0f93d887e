import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN = join(ROOT, 'dist', 'main.js');

/** The built service running as a child process. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly grpcAddress: string;
  readonly httpBase: string;
  readonly output: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `node dist/main.js` with exactly `env` (plus PATH) and waits until it serves. */
export async function startService(env: Record<string, string>, timeoutMs = 20_000): Promise<ServiceProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (make test does)`);
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TOKEN_ENGINE_GRPC_ADDR: '127.0.0.1:0',
      TOKEN_ENGINE_HTTP_ADDR: '127.0.0.1:0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const started = await new Promise<{ grpc_port: number; http_port: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A service that never serves must not outlive the test that gave up on it.
      child.kill('SIGKILL');
      reject(new Error(`service did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = (): void => {
      for (const line of out.split('\n')) {
        if (!line.includes('"token-engine started"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { grpc_port: number; http_port: number });
        return;
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before serving:\n${out}`));
    });
  });
  return {
    child,
    grpcAddress: `127.0.0.1:${started.grpc_port}`,
    httpBase: `http://127.0.0.1:${started.http_port}`,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the service expecting it to exit by itself (start-up failures). */
export function runServiceToExit(
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 40_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not exit in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: out });
    });
  });
}

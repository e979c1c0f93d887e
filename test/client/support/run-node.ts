import { execFile } from 'node:child_process';

/** What a child `node` process printed and how it exited. */
export interface NodeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <script> ...args` with exactly `env` (plus PATH) and `stdin` as its standard
 * input (closed at once when there is none), never throwing on a non-zero exit: tests
 * assert the exit code themselves.
 */
export function runNode(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  stdin = '',
): Promise<NodeRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [script, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(
            new Error(`node ${script} did not exit normally (${err.signal ?? err.code ?? err.message}):\n${stdout}${stderr}`),
          );
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * vitest global setup of the `client` project: compiles client/ and examples/ to
 * dist/client/ (tsconfig.client.json, the second half of `npm run build`), so the CLI and
 * example tests run what the source says rather than a stale build. It touches nothing
 * else in dist/.
 */
export default async function buildClient(): Promise<void> {
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.client.json')], { cwd: ROOT });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc -p tsconfig.client.json failed:\n${stdout}${stderr}`, { cause: err });
  }
}

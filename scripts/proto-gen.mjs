// Regenerates the TypeScript types for proto/ with proto-loader-gen-types, using the
// same loader options the server loads the protos with (proto/loader-options.json).
// Usage: node scripts/proto-gen.mjs <outDir>
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'src/generated'));
const options = JSON.parse(readFileSync(join(root, 'proto/loader-options.json'), 'utf8'));
const require = createRequire(import.meta.url);
const generator = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build/bin/proto-loader-gen-types.js');

const flags = [];
if (options.keepCase) flags.push('--keepCase');
if (options.longs) flags.push(`--longs=${options.longs}`);
if (options.enums) flags.push(`--enums=${options.enums}`);
if (options.defaults) flags.push('--defaults');
if (options.oneofs) flags.push('--oneofs');

rmSync(outDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    generator,
    ...flags,
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    '--includeComments',
    '-I',
    join(root, 'proto'),
    '-O',
    outDir,
    'token/v1/token_engine.proto',
  ],
  { cwd: root, stdio: 'inherit' },
);

// The generator writes the absolute .proto path into each header; make it relative so
// the output does not depend on where the repository is checked out.
for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replaceAll(`${join(root, 'proto')}/`, 'proto/'));
}

// Rewrites the generated sections of the documentation (src/docs/generated-sections.ts)
// from the built code: `make docs` runs `npm run build` first.
// Usage: node scripts/docs.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { GENERATED_SECTIONS } = await built('docs/generated-sections.js');
const { renderFiles } = await built('docs/sections.js');

for (const { file, current, fresh } of renderFiles(GENERATED_SECTIONS, (f) => readFileSync(join(root, f), 'utf8'))) {
  if (fresh === current) {
    process.stdout.write(`${file}: up to date\n`);
  } else {
    writeFileSync(join(root, file), fresh);
    process.stdout.write(`${file}: regenerated\n`);
  }
}

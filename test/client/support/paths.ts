import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where tsconfig.client.json puts the client (rootDir `.` under outDir dist/client). */
export const CLIENT_DIST = join(ROOT, 'dist', 'client', 'client');
export const CLI = join(CLIENT_DIST, 'cli.js');
export const EXAMPLES_DIST = join(ROOT, 'dist', 'client', 'examples');

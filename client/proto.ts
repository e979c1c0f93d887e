/**
 * Loads the wire contract for the client: the same `proto/token/v1/token_engine.proto` and
 * the same `proto/loader-options.json` the server and `scripts/proto-gen.mjs` use, so the
 * messages the client builds are the ones `src/generated` describes.
 *
 * The logic mirrors `src/grpc/proto.ts` rather than importing it: that module finds proto/
 * relative to its own location, which holds for `dist/` and `src/` but not for a second
 * compiled copy under `dist/client/`. test/client/proto.test.ts checks the two agree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from '../src/generated/token_engine.js';

/** The contract file, relative to the proto directory. */
export const TOKEN_ENGINE_PROTO = 'token/v1/token_engine.proto';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Where proto/ sits relative to this file: `client/` in the source tree, and
 * `dist/client/client/` once built (the package ships `dist/` and `proto/` side by side).
 */
const PROTO_DIR_CANDIDATES = [join(HERE, '..', 'proto'), join(HERE, '..', '..', '..', 'proto')];

/** The package's proto/ directory; throws naming every place looked at when it is missing. */
export function findProtoDir(candidates: readonly string[] = PROTO_DIR_CANDIDATES): string {
  const found = candidates.find((dir) => existsSync(join(dir, TOKEN_ENGINE_PROTO)) && existsSync(join(dir, 'loader-options.json')));
  if (found === undefined) throw new Error(`token-engine client: ${TOKEN_ENGINE_PROTO} not found in ${candidates.join(', ')}`);
  return found;
}

/** proto/loader-options.json with the conversion type names turned into constructors. */
export function readLoaderOptions(protoDir: string = findProtoDir()): protoLoader.Options {
  const raw = JSON.parse(readFileSync(join(protoDir, 'loader-options.json'), 'utf8')) as Record<string, unknown>;
  const types: Record<string, StringConstructor | NumberConstructor> = { String, Number };
  const options: Record<string, unknown> = { ...raw };
  for (const field of ['longs', 'enums', 'bytes']) {
    const name = raw[field];
    if (typeof name === 'string') {
      const type = types[name];
      if (!type) throw new Error(`proto/loader-options.json: ${field} must be String or Number`);
      options[field] = type;
    }
  }
  return options as protoLoader.Options;
}

let cached: ProtoGrpcType | undefined;

/** The typed `token.v1` package, loaded once per process. */
export function loadClientProto(): ProtoGrpcType {
  if (cached) return cached;
  const protoDir = findProtoDir();
  const definition = protoLoader.loadSync(TOKEN_ENGINE_PROTO, { ...readLoaderOptions(protoDir), includeDirs: [protoDir] });
  cached = loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  return cached;
}

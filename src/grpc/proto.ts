import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import type { ProtoGrpcType } from '../generated/token_engine.js';

export const TOKEN_ENGINE_PROTO = 'token/v1/token_engine.proto';

const HERE = dirname(fileURLToPath(import.meta.url));
/**
 * Where proto/ sits relative to this module: `src/grpc/` and `dist/grpc/` (two levels up),
 * and the client's compiled copy at `dist/client/src/grpc/` (four levels up).
 */
const PROTO_DIR_CANDIDATES = [join(HERE, '..', '..', 'proto'), join(HERE, '..', '..', '..', '..', 'proto')];

/** The package's proto/ directory; throws naming every place looked at when it is missing. */
export function findProtoDir(candidates: readonly string[] = PROTO_DIR_CANDIDATES): string {
  const found = candidates.find(
    (dir) => existsSync(join(dir, TOKEN_ENGINE_PROTO)) && existsSync(join(dir, 'loader-options.json')),
  );
  if (found === undefined) throw new Error(`${TOKEN_ENGINE_PROTO} not found in ${candidates.join(', ')}`);
  return found;
}

/** proto/ of the package, found from src/ (tests), dist/ (built) and the client build. */
export const PROTO_DIR = findProtoDir();

/**
 * The loader options the generated types were made with (scripts/proto-gen.mjs reads the
 * same file). JSON names the conversion types; proto-loader wants the constructors.
 */
export const LOADER_OPTIONS: protoLoader.Options = loaderOptions(
  JSON.parse(readFileSync(join(PROTO_DIR, 'loader-options.json'), 'utf8')) as Record<string, unknown>,
);

function loaderOptions(raw: Record<string, unknown>): protoLoader.Options {
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

/** Loads the wire contract: the package definition (also used by reflection) and the typed package. */
export function loadTokenEngineProto(extraFiles: string[] = []): {
  packageDefinition: protoLoader.PackageDefinition;
  proto: ProtoGrpcType;
  service: ServiceDefinition;
} {
  const packageDefinition = protoLoader.loadSync([TOKEN_ENGINE_PROTO, ...extraFiles], {
    ...LOADER_OPTIONS,
    includeDirs: [PROTO_DIR, ...extraFiles.map((f) => dirname(f))],
  });
  const proto = loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  return { packageDefinition, proto, service: proto.token.v1.TokenEngine.service };
}

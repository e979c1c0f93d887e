import { Server, type ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from '../observability/logger.js';
import type { TokenService } from '../tokens/token-service.js';
import { tokenEngineHandlers } from './handlers.js';
import { loadTokenEngineProto } from './proto.js';

/** Request messages above this are refused by the transport (spec §4). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const SERVICE_NAME = 'token.v1.TokenEngine';
/**
 * HTTP/2 streams (calls) one connection may have open at once, announced in the server's
 * SETTINGS; a client holds further calls back until one ends. It bounds the buffers and
 * handlers a single connection can make the process hold, and is far above what a normal
 * client keeps in flight on one connection (a call here takes about a millisecond).
 */
export const MAX_CONCURRENT_STREAMS = 1_000;

export interface GrpcServerOptions {
  readonly interceptors: ServerInterceptor[];
  readonly service: TokenService;
  readonly log: Logger;
  readonly reflection: boolean;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
}

/** A gRPC server with TokenEngine, health (starts NOT_SERVING) and optional reflection. */
export function createGrpcServer(options: GrpcServerOptions): { server: Server; health: HealthImplementation } {
  const server = new Server({
    interceptors: options.interceptors,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
  });
  const { packageDefinition, service } = loadTokenEngineProto([healthProtoPath]);
  server.addService(service, tokenEngineHandlers(options.service, options.log));
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  if (options.reflection) new ReflectionService(packageDefinition).addToServer(server);
  return { server, health };
}

/** Binds and resolves with the bound port (useful with port 0). */
export function bindGrpcServer(server: Server, host: string, port: number, credentials: ServerCredentials): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

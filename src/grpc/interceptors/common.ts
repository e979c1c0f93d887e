import { Metadata, type status as Status, type ServerInterceptingCallInterface } from '@grpc/grpc-js';

/** Health checks and reflection need no credentials (spec §1, §5). */
export function isInfrastructureMethod(path: string): boolean {
  return path.startsWith('/grpc.health.v1.Health/') || path.startsWith('/grpc.reflection.');
}

/** First value of a metadata key as a string, or undefined. */
export function firstValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** Ends a call from inside an interceptor with a status; the handler never runs. */
export function reject(call: ServerInterceptingCallInterface, code: Status, details: string): void {
  call.sendStatus({ code, details, metadata: new Metadata() });
}

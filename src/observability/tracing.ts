import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';

/*
 * Tracing helpers over the OpenTelemetry API only. Without a registered SDK (no
 * OTLP endpoint and no OTEL_TRACES_EXPORTER, see src/instrument.ts) every call here is the API's no-op.
 *
 * Rule for every span of this service: its name and attributes carry method names, status
 * codes, Redis command and script names, and nothing a caller typed (no tenant, user,
 * audience, claim, token or key). Errors are recorded as their status code name, never
 * as their message.
 */

/** Instrumentation scope of every span of the service. */
export const TRACER_NAME = 'token-engine';

/** Attribute names (OpenTelemetry RPC and database semantic conventions). */
export const ATTR = {
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  rpcGrpcStatusCode: 'rpc.grpc.status_code',
  dbSystem: 'db.system',
  dbSystemName: 'db.system.name',
  dbOperationName: 'db.operation.name',
  dbStoredProcedureName: 'db.stored_procedure.name',
  dbNamespace: 'db.namespace',
  serverAddress: 'server.address',
  serverPort: 'server.port',
} as const;

/** The service's tracer (a proxy: it follows whatever provider is registered later). */
export function tokenEngineTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Reads W3C trace context (`traceparent`, `tracestate`) from gRPC metadata. */
const metadataGetter: TextMapGetter<Metadata> = {
  keys: (md) => Object.keys(md.getMap()),
  get: (md, key) => {
    const values = md.get(key);
    if (values.length === 0) return undefined;
    return values.map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
  },
};

/** The parent context an incoming call names in its metadata (or the root context). */
export function extractTraceContext(metadata: Metadata): Context {
  return propagation.extract(context.active(), metadata, metadataGetter);
}

/**
 * gRPC server span status per the RPC semantic conventions: only codes that mean the
 * server failed are errors; a refused caller (UNAUTHENTICATED, INVALID_ARGUMENT, …) is not.
 */
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

/** Ends `span` with a gRPC status code; the description is the code name, never the details. */
export function endWithGrpcStatus(span: Span, code: number, codeName: string): void {
  span.setAttribute(ATTR.rpcGrpcStatusCode, code);
  if (SERVER_ERROR_CODES.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: codeName });
  span.end();
}

/**
 * Runs synchronous `fn` inside a short INTERNAL span that ends when it returns. The next
 * step of the chain must run outside it, so call it after, not inside.
 */
export function inSpan<T>(tracer: Tracer, name: string, fn: (span: Span) => T): T {
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL });
  try {
    return context.with(trace.setSpan(context.active(), span), () => fn(span));
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'exception' });
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Runs `fn` inside an INTERNAL span that ends when its promise settles. `parent` pins the
 * parent when the caller is on a path (a response being sent) whose active context is
 * not the request's own.
 */
export async function inSpanAsync<T>(
  tracer: Tracer,
  name: string,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorKind(err) });
    throw err;
  } finally {
    span.end();
  }
}

/** A bounded description of an error for a span status: its class or domain code, no message. */
export function errorKind(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Za-z_]{1,40}$/.test(code) ? code : err.name;
  }
  return 'error';
}

/** Trace and span id of the active span, for log lines; undefined when nothing is traced. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const sc = trace.getSpanContext(context.active());
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

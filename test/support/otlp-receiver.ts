import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_ROOT = join(dirname(fileURLToPath(import.meta.url)), 'otlp');

type AttributeValue = string | number | boolean | null | AttributeValue[];

/** One exported span, decoded: ids as lowercase hex, attributes as plain values. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** "" for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** Nanoseconds since the epoch, as a decimal string. */
  readonly startTimeUnixNano: string;
  /** `SPAN_KIND_SERVER`, `SPAN_KIND_INTERNAL`, `SPAN_KIND_CLIENT`, … */
  readonly kind: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly { name: string; attributes: Readonly<Record<string, AttributeValue>> }[];
  /** `STATUS_CODE_UNSET`, `STATUS_CODE_OK` or `STATUS_CODE_ERROR`, and its description. */
  readonly status: { readonly code: string; readonly message: string };
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly scope: string;
}

/** One export request as received (a batch of spans). */
export interface ReceivedExport {
  readonly transport: 'grpc' | 'http';
  /** gRPC metadata or HTTP headers, names in lower case, repeated values joined by ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly spans: number;
}

interface WireAnyValue {
  value?: string;
  string_value?: string;
  bool_value?: boolean;
  int_value?: string;
  double_value?: number;
  array_value?: { values: WireAnyValue[] };
  bytes_value?: Buffer;
}
interface WireKeyValue {
  key: string;
  value?: WireAnyValue;
}
interface WireSpan {
  trace_id: Buffer;
  span_id: Buffer;
  parent_span_id: Buffer;
  name: string;
  start_time_unix_nano: string;
  kind: string;
  attributes: WireKeyValue[];
  events: { name: string; attributes: WireKeyValue[] }[];
  status?: { code: string; message: string };
}
interface WireRequest {
  resource_spans: {
    resource?: { attributes: WireKeyValue[] };
    scope_spans: { scope?: { name: string }; spans: WireSpan[] }[];
  }[];
}

function value(v: WireAnyValue | undefined): AttributeValue {
  if (!v || v.value === undefined) return null;
  switch (v.value) {
    case 'string_value':
      return v.string_value ?? '';
    case 'bool_value':
      return v.bool_value ?? false;
    case 'int_value':
      return Number(v.int_value);
    case 'double_value':
      return v.double_value ?? 0;
    case 'array_value':
      return (v.array_value?.values ?? []).map(value);
    case 'bytes_value':
      return (v.bytes_value ?? Buffer.alloc(0)).toString('hex');
    default:
      return null;
  }
}

function attributes(list: WireKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

/**
 * A minimal OTLP trace collector for tests: a grpc-js server implementing
 * `opentelemetry.proto.collector.trace.v1.TraceService/Export` and, once `startHttp` is
 * called, OTLP/HTTP `POST /v1/traces` with a protobuf body. Both decode requests with the
 * trimmed OTLP protos in test/support/otlp/ and keep every span and each request's headers.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Export requests received, over either transport. */
  readonly requests: ReceivedExport[] = [];
  /** Export calls received (a batch each). */
  exports = 0;
  private readonly server = new Server();
  private readonly exportMethod: protoLoader.MethodDefinition<object, object, WireRequest, object>;
  private http: HttpServer | undefined;
  port = 0;
  /** The OTLP/HTTP port once `startHttp` resolved. */
  httpPort = 0;

  constructor() {
    const definition = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const service = definition['opentelemetry.proto.collector.trace.v1.TraceService'] as protoLoader.ServiceDefinition;
    this.exportMethod = service['Export'] as typeof this.exportMethod;
    const pkg = loadPackageDefinition(definition) as unknown as {
      opentelemetry: { proto: { collector: { trace: { v1: { TraceService: { service: ServiceDefinition } } } } } };
    };
    this.server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
      Export: (call: ServerUnaryCall<WireRequest, unknown>, callback: sendUnaryData<unknown>) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(call.metadata.getMap())) {
          headers[name] = typeof value === 'string' ? value : value.toString('utf8');
        }
        this.collect('grpc', headers, call.request);
        callback(null, {});
      },
    });
  }

  /** Serves OTLP/HTTP (protobuf) on 127.0.0.1, a free port, plaintext. */
  async startHttp(): Promise<number> {
    const http = createServer((req, res) => void this.onHttp(req, res));
    this.http = http;
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    this.httpPort = (http.address() as AddressInfo).port;
    return this.httpPort;
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['content-type'] !== 'application/x-protobuf') {
      res.writeHead(415).end();
      return;
    }
    const raw = Buffer.concat(chunks);
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.collect('http', headers, this.exportMethod.requestDeserialize(body));
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(this.exportMethod.responseSerialize({}));
  }

  /** Binds 127.0.0.1 on a free port: plaintext, or TLS with the given key pair. */
  async start(tls?: { cert: Buffer; key: Buffer }): Promise<number> {
    const credentials = tls
      ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
      : ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
    return this.port;
  }

  /** Resolves once `predicate` holds for the spans received so far (polling). */
  async waitFor(what: string, predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.spans)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; received ${this.spans.length} spans: ${this.spans.map((s) => s.name).join(', ')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async stop(): Promise<void> {
    const http = this.http;
    await Promise.all([
      new Promise<void>((resolve) => this.server.tryShutdown(() => resolve())),
      http ? new Promise<void>((resolve) => http.close(() => resolve())) : undefined,
    ]);
  }

  private collect(transport: ReceivedExport['transport'], headers: Record<string, string>, request: WireRequest): void {
    this.exports += 1;
    const before = this.spans.length;
    for (const rs of request.resource_spans) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scope_spans) {
        for (const span of ss.spans) {
          this.spans.push({
            traceId: span.trace_id.toString('hex'),
            spanId: span.span_id.toString('hex'),
            parentSpanId: span.parent_span_id.toString('hex'),
            name: span.name,
            startTimeUnixNano: span.start_time_unix_nano,
            kind: span.kind,
            attributes: attributes(span.attributes),
            events: span.events.map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
            status: { code: span.status?.code ?? 'STATUS_CODE_UNSET', message: span.status?.message ?? '' },
            resource,
            scope: ss.scope?.name ?? '',
          });
        }
      }
    }
    this.requests.push({ transport, headers, spans: this.spans.length - before });
  }
}

/** An indented tree of one trace's spans (name, kind, status code), in start order. */
export function spanTree(spans: readonly ReceivedSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const byStart = [...spans].sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
  const lines: string[] = [];
  const print = (span: ReceivedSpan, depth: number): void => {
    const code = span.attributes['rpc.grpc.status_code'];
    const details = [
      span.kind.replace('SPAN_KIND_', ''),
      ...(code === undefined ? [] : [`code=${String(code)}`]),
      ...(span.status.code === 'STATUS_CODE_ERROR' ? ['ERROR'] : []),
    ];
    lines.push(`${'  '.repeat(depth)}${span.name} [${details.join(' ')}]`);
    for (const child of byStart.filter((s) => s.parentSpanId === span.spanId)) print(child, depth + 1);
  };
  for (const root of byStart.filter((s) => !ids.has(s.parentSpanId))) print(root, 0);
  return lines.join('\n');
}

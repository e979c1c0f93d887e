/*
 * What src/instrument.ts decides before the OpenTelemetry Node SDK reads the OTEL_*
 * environment itself: whether to start it at all, and the few values this service
 * reads differently from the SDK's defaults. Imports nothing, so deciding "off" costs nothing.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The endpoint variables, signal-specific first (the SDK prefers it). */
const ENDPOINT_VARS = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const;

/** The service's OTLP protocol when no OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL is set (the SDK's is http/protobuf). */
export const DEFAULT_OTLP_PROTOCOL = 'grpc';

/** A value as the SDK reads it: blank counts as unset. */
function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The OTEL_* values to set before the SDK starts, or undefined when tracing stays off.
 *
 * Off (nothing loaded, every tracing call the API's no-op) when OTEL_SDK_DISABLED=true, when
 * OTEL_TRACES_EXPORTER names `none` first (the SDK then registers no exporter), when
 * neither an exporter nor an endpoint is asked for (unlike the bare SDK, which would export
 * to localhost), or when an endpoint is unusable (the configuration check reports that).
 *
 * The values returned: each endpoint variable as a URL, since a bare `host:port` means
 * plaintext OTLP/gRPC here as it did upstream while the SDK would take it for TLS; and
 * OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc unless a protocol is chosen.
 */
export function tracingEnvOverrides(env: Env): Record<string, string> | undefined {
  if (present(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporters = (present(env, 'OTEL_TRACES_EXPORTER') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (exporters[0] === 'none') return undefined;

  const overrides: Record<string, string> = {};
  for (const name of ENDPOINT_VARS) {
    const raw = present(env, name);
    if (raw === undefined) continue;
    const url = otlpEndpointUrl(raw);
    if (url === undefined) return undefined;
    overrides[name] = url;
  }
  if (exporters.length === 0 && Object.keys(overrides).length === 0) return undefined;
  if (
    present(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') === undefined &&
    present(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') === undefined
  ) {
    overrides['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] = DEFAULT_OTLP_PROTOCOL;
  }
  return overrides;
}

/**
 * The collector URL for an endpoint value: `host:port` (plaintext), `http://…` or
 * `https://…` (TLS; CA from OTEL_EXPORTER_OTLP_CERTIFICATE, else the system roots);
 * undefined when the value is none of these.
 */
export function otlpEndpointUrl(raw: string): string | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0];
  // Lower case: the gRPC exporter tells plaintext from TLS by a literal `http://` prefix.
  const url = scheme === undefined ? `http://${raw}` : scheme.toLowerCase() + raw.slice(scheme.length);
  try {
    const parsed = new URL(url);
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') return undefined;
    return url;
  } catch {
    return undefined;
  }
}

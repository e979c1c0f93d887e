/** What the OTEL_* environment asks of trace export (read by src/instrument.ts only). */
export interface OtlpTraceSettings {
  /** Collector address with its scheme: `http://` plaintext, `https://` TLS. */
  readonly url: string;
  /** Batch span processor delay between exports, when OTEL_BSP_SCHEDULE_DELAY is set. */
  readonly scheduledDelayMillis?: number;
}

/**
 * Trace export settings, or undefined when tracing is off: no endpoint, OTEL_SDK_DISABLED=true
 * or OTEL_TRACES_EXPORTER=none. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over
 * OTEL_EXPORTER_OTLP_ENDPOINT. A bare `host:port` means plaintext, as the upstream service's
 * insecure exporter did; `https://` means TLS (CA from OTEL_EXPORTER_OTLP_CERTIFICATE, else
 * the system roots).
 */
export function otlpTraceSettings(env: Readonly<Record<string, string | undefined>>): OtlpTraceSettings | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  if (env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none') return undefined;
  const raw = (env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim()) ?? '';
  if (raw === '') return undefined;
  const url = otlpEndpointUrl(raw);
  // An unusable endpoint starts nothing here; the configuration check reports it (fatal).
  if (url === undefined) return undefined;
  const delay = Number(env['OTEL_BSP_SCHEDULE_DELAY']);
  return Number.isInteger(delay) && delay > 0 ? { url, scheduledDelayMillis: delay } : { url };
}

/**
 * The collector URL for an endpoint value: `host:port` (plaintext), `http://…` or
 * `https://…`; undefined when the value is none of these.
 */
export function otlpEndpointUrl(raw: string): string | undefined {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    const parsed = new URL(url);
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') return undefined;
    return url;
  } catch {
    return undefined;
  }
}

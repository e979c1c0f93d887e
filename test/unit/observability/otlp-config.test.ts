import { describe, expect, it } from 'vitest';
import { otlpTraceSettings } from '../../../src/observability/otlp-config.js';

describe('otlpTraceSettings', () => {
  it('is off without an endpoint', () => {
    expect(otlpTraceSettings({})).toBeUndefined();
    expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
  });

  it.each([
    ['a bare host:port, as plaintext', 'collector:4317', 'http://collector:4317'],
    ['http://', 'http://collector:4317', 'http://collector:4317'],
    ['https:// (TLS)', 'https://collector.example:4317', 'https://collector.example:4317'],
    ['surrounding blanks', ' 127.0.0.1:4317 ', 'http://127.0.0.1:4317'],
  ])('accepts %s', (_name, endpoint, url) => {
    expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toEqual({ url });
  });

  it('prefers the traces-specific endpoint', () => {
    expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b:2' })).toEqual({
      url: 'https://b:2',
    });
  });

  it('is off when the SDK is disabled or the traces exporter is none', () => {
    expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('takes a positive whole OTEL_BSP_SCHEDULE_DELAY and ignores anything else', () => {
    expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_BSP_SCHEDULE_DELAY: '250' })).toEqual({
      url: 'http://a:1',
      scheduledDelayMillis: 250,
    });
    for (const bad of ['0', '-5', '1.5', 'soon', '']) {
      expect(otlpTraceSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_BSP_SCHEDULE_DELAY: bad })).toEqual({
        url: 'http://a:1',
      });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { otlpEndpointUrl, tracingEnvOverrides } from '../../../src/observability/otlp-config.js';

const GRPC = { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' };

describe('tracingEnvOverrides', () => {
  it('is off without an endpoint or an exporter', () => {
    expect(tracingEnvOverrides({})).toBeUndefined();
    expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', OTEL_TRACES_EXPORTER: ' ' })).toBeUndefined();
    // Settings that only shape an export do not start one.
    expect(
      tracingEnvOverrides({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).toBeUndefined();
  });

  it.each([
    ['a bare host:port, as plaintext', 'collector:4317', 'http://collector:4317'],
    ['http://', 'http://collector:4317', 'http://collector:4317'],
    ['https:// (TLS)', 'https://collector.example:4317', 'https://collector.example:4317'],
    ['surrounding blanks', ' 127.0.0.1:4317 ', 'http://127.0.0.1:4317'],
    ['an upper-case scheme', 'HTTPS://collector:4317', 'https://collector:4317'],
    ['a path (OTLP/HTTP)', 'http://collector:4318/otlp', 'http://collector:4318/otlp'],
  ])('starts with an endpoint: %s', (_name, endpoint, url) => {
    expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: url, ...GRPC });
  });

  it('normalises the traces-specific endpoint too, and starts with it alone', () => {
    expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'b:2' })).toEqual({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2',
      ...GRPC,
    });
    expect(
      tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b:2' }),
    ).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b:2',
      ...GRPC,
    });
  });

  it('starts for an exporter asked for without an endpoint (the SDK picks its default collector)', () => {
    expect(tracingEnvOverrides({ OTEL_TRACES_EXPORTER: 'console' })).toEqual(GRPC);
    expect(tracingEnvOverrides({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual(GRPC);
  });

  it('leaves a chosen protocol to the SDK and defaults to gRPC otherwise', () => {
    for (const chosen of [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
      { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' },
    ]) {
      expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', ...chosen })).toEqual({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1',
      });
    }
    expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_PROTOCOL: ' ' })).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1',
      ...GRPC,
    });
  });

  it('is off when the SDK is disabled or the traces exporter is none', () => {
    for (const disabled of ['true', ' TRUE ']) {
      expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_SDK_DISABLED: disabled })).toBeUndefined();
    }
    for (const none of ['none', 'None', ' none ', 'none,otlp']) {
      expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_TRACES_EXPORTER: none })).toBeUndefined();
    }
    expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_SDK_DISABLED: 'false' })).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1',
      ...GRPC,
    });
  });

  it('is off with an unusable endpoint, which the configuration check reports', () => {
    expect(tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://a:1' })).toBeUndefined();
    expect(
      tracingEnvOverrides({ OTEL_EXPORTER_OTLP_ENDPOINT: 'a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://' }),
    ).toBeUndefined();
  });
});

describe('otlpEndpointUrl', () => {
  it.each(['', 'ftp://a:1', 'unix:///tmp/otel.sock', 'http://', 'a b:1'])('rejects %j', (raw) => {
    expect(otlpEndpointUrl(raw)).toBeUndefined();
  });
});

import { Counter, Gauge, type Registry } from 'prom-client';

/** `result` of `token_engine_api_key_exchanges_total`: `ok` or why the key was refused. */
export const EXCHANGE_RESULTS = ['ok', 'unknown', 'malformed', 'checksum', 'expired', 'revoked'] as const;
/** One of {@link EXCHANGE_RESULTS}. */
export type ExchangeResult = (typeof EXCHANGE_RESULTS)[number];

/** The API-key metrics (doc/METRICS.md). `tenant_id`, as on every other metric, comes from configuration only. */
export interface ApiKeyMetrics {
  readonly exchanges: Counter<'tenant_id' | 'result'>;
  readonly live: Gauge<'tenant_id'>;
}

/**
 * Registers the API-key metrics on the app's registry. The live-keys gauge is computed at
 * scrape time from `liveCounts`; with several workers on one host, their identical reads
 * are joined by `max`, not summed.
 */
export function createApiKeyMetrics(
  registry: Registry,
  liveCounts: () => Promise<readonly { tenant: string; count: number }[]>,
): ApiKeyMetrics {
  const exchanges = new Counter({
    name: 'token_engine_api_key_exchanges_total',
    help: 'ExchangeApiKey calls by tenant and result (ok, or the refusal reason: unknown, malformed, checksum, expired, revoked)',
    labelNames: ['tenant_id', 'result'],
    registers: [registry],
  });
  const live = new Gauge({
    name: 'token_engine_api_keys_live',
    help: 'Live (unexpired, unrevoked) API keys per tenant, read from the store at scrape time',
    labelNames: ['tenant_id'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      const counts = await liveCounts();
      this.reset();
      for (const { tenant, count } of counts) this.set({ tenant_id: tenant }, count);
    },
  });
  return { exchanges, live };
}

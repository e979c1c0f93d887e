/**
 * Tenants are isolated: a refresh token of tenant A is NOT_FOUND under tenant B, exactly
 * like a token that never existed. Give the tenants with `--tenant A --tenant B` (more
 * tenants come from TOKEN_ENGINE_TENANTS_PATH). With a single `--tenant`, a made-up tenant
 * plays B and answers NOT_FOUND as an unknown tenant.
 *
 *   node dist/client/examples/multi-tenant.js --tenant local-dev --tenant other-tenant
 */
import { randomUUID } from 'node:crypto';
import { isTokenEngineError, Status, type TokenPair } from '../client/index.js';
import { connect, runIfMain, type ExampleOptions } from './support.js';

export interface MultiTenantResult {
  /** Per tenant: `served` when IssueToken worked there, else the status name. */
  readonly tenants: Record<string, string>;
  /** Refreshing the first served tenant's token under another tenant. */
  readonly crossTenantRefresh: { readonly from: string; readonly to: string; readonly code: string } | undefined;
}

export async function main(options: ExampleOptions & { tenants?: readonly string[] }): Promise<MultiTenantResult> {
  const given = options.tenants && options.tenants.length > 0 ? [...options.tenants] : [options.tenantId];
  if (given.length === 1) given.push(`no-such-tenant-${randomUUID()}`);
  const client = connect(options);
  try {
    const tenants: Record<string, string> = {};
    const pairs = new Map<string, TokenPair>();
    for (const tenantId of given) {
      try {
        pairs.set(tenantId, await client.issueToken({ tenantId, sub: 'erin' }));
        tenants[tenantId] = 'served';
      } catch (err) {
        if (!isTokenEngineError(err)) throw err;
        tenants[tenantId] = err.codeName;
      }
    }

    const [from, pair] = [...pairs][0] ?? [];
    const to = given.find((t) => t !== from);
    let crossTenantRefresh: MultiTenantResult['crossTenantRefresh'];
    if (from !== undefined && pair !== undefined && to !== undefined) {
      let code = 'OK';
      try {
        await client.refreshToken({ tenantId: to, refreshToken: pair.refreshToken });
      } catch (err) {
        if (!isTokenEngineError(err, Status.NOT_FOUND)) throw err;
        code = err.codeName;
      }
      crossTenantRefresh = { from, to, code };
    }
    return { tenants, crossTenantRefresh };
  } finally {
    client.close();
  }
}

await runIfMain(import.meta.url, main, (base) => base);

import { extAuthzRpcs } from '../ext-authz/rpcs.js';
import { HEALTH_RPCS } from '../grpc/health.js';
import type { RpcDescriptor } from '../grpc/rpc.js';
import { TOKEN_ENGINE_RPCS } from '../rpcs.js';

/** The methods served, as a Markdown table rendered from their descriptors (doc/API.md). */
export function renderRpcReference(): string {
  const row = (rpc: RpcDescriptor): string =>
    [
      `\`${rpc.path}\``,
      rpc.kind === 'unary' ? 'unary' : 'server stream',
      rpc.public ? 'none' : 'API key or mTLS, caller registry',
      rpc.idempotency ? 'yes' : '—',
      rpc.repeatable ? 'yes' : rpc.idempotency ? 'with an idempotency key' : 'no',
    ].join(' | ');
  return [
    '| method | kind | credentials | idempotency key | safe to retry after UNAVAILABLE |',
    '|---|---|---|---|---|',
    // Check is served only with TOKEN_ENGINE_EXT_AUTHZ=true; its default tenant does not change the row.
    ...[...TOKEN_ENGINE_RPCS, ...HEALTH_RPCS, ...extAuthzRpcs('')].map((rpc) => `| ${row(rpc)} |`),
  ].join('\n');
}

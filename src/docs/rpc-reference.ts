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
    ...[...TOKEN_ENGINE_RPCS, ...HEALTH_RPCS].map((rpc) => `| ${row(rpc)} |`),
  ].join('\n');
}

/**
 * Idempotency keys: repeating IssueToken with the same key and the same content replays
 * the first pair (so the call is safe to retry, and the client retries it on UNAVAILABLE);
 * the same key with different content is refused with FAILED_PRECONDITION.
 *
 *   node dist/client/examples/idempotent-retries.js --tenant local-dev
 */
import { randomUUID } from 'node:crypto';
import { isTokenEngineError, Status } from '../client/index.js';
import { connect, runIfMain, type ExampleOptions } from './support.js';

export interface IdempotentRetriesResult {
  /** The second call returned exactly the first pair. */
  readonly identical: boolean;
  /** The server marked the second answer with `x-idempotent-replay: true`. */
  readonly replayed: boolean;
  /** What the same key with different content answered (FAILED_PRECONDITION). */
  readonly differentContent: string;
}

export async function main(options: ExampleOptions & { idempotencyKey?: string }): Promise<IdempotentRetriesResult> {
  const client = connect(options);
  try {
    // One key per logical operation, e.g. derived from the order or session it is for.
    const idempotencyKey = options.idempotencyKey ?? `example-${randomUUID()}`;
    const request = { tenantId: options.tenantId, sub: 'dave', claims: { order: '42' } };
    const first = await client.issueToken(request, { idempotencyKey });
    let replayed = false;
    const second = await client.issueToken(request, {
      idempotencyKey,
      onHeaders: (headers) => {
        replayed = headers.idempotentReplay;
      },
    });

    let differentContent = 'OK';
    try {
      await client.issueToken({ ...request, claims: { order: '43' } }, { idempotencyKey });
    } catch (err) {
      if (!isTokenEngineError(err, Status.FAILED_PRECONDITION)) throw err;
      differentContent = err.codeName;
    }
    return {
      identical: first.accessToken === second.accessToken && first.refreshToken === second.refreshToken,
      replayed,
      differentContent,
    };
  } finally {
    client.close();
  }
}

await runIfMain(import.meta.url, main);

import * as z from 'zod';
import type { TokenEngineDefinition } from '../generated/token/v1/TokenEngine.js';
import { tenantId } from '../grpc/fields.js';
import { rpcsOf } from '../grpc/rpc.js';
import { CURSOR_PATTERN } from './cursor.js';
import type { RevocationFeed } from './feed.js';

const tokenEngine = rpcsOf<TokenEngineDefinition>('token.v1.TokenEngine');

const WatchRevocationsRequest = z.strictObject({
  tenant_id: tenantId,
  after: z.string().superRefine((value, ctx) => {
    if (value !== '' && !CURSOR_PATTERN.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'after must be empty or the cursor of an event (<ms>-<n>)' });
    }
  }),
});

/**
 * WatchRevocations: a server stream of the tenant's revocation events. Reading it changes
 * nothing, so a client may reconnect (with its last cursor) as often as it needs.
 */
export const watchRevocations = tokenEngine.serverStream('WatchRevocations', {
  schema: WatchRevocationsRequest,
  repeatable: true,
  handle: (feed: RevocationFeed, req, sink) => feed.watch(req.tenant_id, req.after, sink),
});

/** The revocation-stream RPCs, in the order of the proto. */
export const WATCH_RPCS = [watchRevocations] as const;

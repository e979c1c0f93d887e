/**
 * Revocation audit records kept per tenant, by every store: the newest ones are kept,
 * older ones dropped. The Redis stream is trimmed with `XADD … MAXLEN ~` on every append
 * and `XTRIM MAXLEN ~` by the reconciler: the approximate form drops whole stream nodes
 * (about 100 entries each), so a stream may hold up to a node's worth more than this,
 * never fewer; an exact trim would re-encode a node on every append. The memory store
 * keeps exactly this many. 100 000 short records stay within tens of megabytes per
 * tenant and cover far more revocations than a readiness check or an operator looking
 * at recent activity reads; doc/DEPLOYMENT.md and doc/SECURITY.md quote this number.
 */
export const AUDIT_RECORDS_PER_TENANT = 100_000;

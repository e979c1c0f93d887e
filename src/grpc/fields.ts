import * as z from 'zod';
import { RESERVED_CLAIMS } from '../tokens/claims.js';

/**
 * Field schemas shared by the request schemas of every feature: the input limits of
 * doc/API.md, with messages naming the field. Lengths are UTF-8 bytes, as on the wire.
 */
export const LIMITS = {
  idBytes: 256,
  audiences: 16,
  claims: 64,
  claimKeyBytes: 128,
  claimValueBytes: 4 * 1024,
  claimsTotalBytes: 16 * 1024,
  refreshTokenBytes: 512,
  idempotencyKeyBytes: 256,
  accessTokenBytes: 16 * 1024,
  dpopProofBytes: 8 * 1024,
  dpopHtmBytes: 16,
  dpopHtuBytes: 2 * 1024,
} as const;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A non-blank identifier of at most 256 bytes. */
export function identifier(field: string): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    if (value.trim() === '') ctx.addIssue({ code: 'custom', message: `${field} must not be empty` });
    else if (bytes(value) > LIMITS.idBytes)
      ctx.addIssue({ code: 'custom', message: `${field} must be at most ${LIMITS.idBytes} bytes` });
  });
}

export const audiences = z.array(z.string()).superRefine((list, ctx) => {
  if (list.length > LIMITS.audiences) {
    ctx.addIssue({ code: 'custom', message: `audiences must have at most ${LIMITS.audiences} entries` });
    return;
  }
  list.forEach((audience, i) => {
    if (audience.trim() === '') ctx.addIssue({ code: 'custom', message: `audiences[${i}] must not be empty` });
    else if (bytes(audience) > LIMITS.idBytes) {
      ctx.addIssue({ code: 'custom', message: `audiences[${i}] must be at most ${LIMITS.idBytes} bytes` });
    }
  });
});

export const claims = z.record(z.string(), z.string()).superRefine((map, ctx) => {
  const entries = Object.entries(map);
  if (entries.length > LIMITS.claims) {
    ctx.addIssue({ code: 'custom', message: `claims must have at most ${LIMITS.claims} entries` });
    return;
  }
  let total = 0;
  // Sorted, so the first offending key reported is deterministic.
  for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (RESERVED_CLAIMS.has(key)) return void ctx.addIssue({ code: 'custom', message: `claims key "${key}" is reserved` });
    if (key === '') return void ctx.addIssue({ code: 'custom', message: 'claims key must not be empty' });
    if (bytes(key) > LIMITS.claimKeyBytes) {
      return void ctx.addIssue({ code: 'custom', message: `claims key must be at most ${LIMITS.claimKeyBytes} bytes` });
    }
    if (bytes(value) > LIMITS.claimValueBytes) {
      return void ctx.addIssue({ code: 'custom', message: `claims["${key}"] must be at most ${LIMITS.claimValueBytes} bytes` });
    }
    total += bytes(key) + bytes(value);
  }
  if (total > LIMITS.claimsTotalBytes) {
    ctx.addIssue({ code: 'custom', message: `claims must be at most ${LIMITS.claimsTotalBytes} bytes in all` });
  }
});

/** A refresh token as presented: non-empty, bounded. Its shape is checked by the service. */
export const refreshToken = z.string().superRefine((value, ctx) => {
  if (value === '') ctx.addIssue({ code: 'custom', message: 'refresh_token must not be empty' });
  else if (bytes(value) > LIMITS.refreshTokenBytes) {
    ctx.addIssue({ code: 'custom', message: `refresh_token must be at most ${LIMITS.refreshTokenBytes} bytes` });
  }
});

/** An access token as presented: non-empty, bounded. Everything else about it is the validator's. */
export const accessToken = z.string().superRefine((value, ctx) => {
  if (value === '') ctx.addIssue({ code: 'custom', message: 'access_token must not be empty' });
  else if (bytes(value) > LIMITS.accessTokenBytes) {
    ctx.addIssue({ code: 'custom', message: `access_token must be at most ${LIMITS.accessTokenBytes} bytes` });
  }
});

/** An optional audience: empty means none, else at most 256 bytes and not blank. */
export const optionalAudience = z.string().superRefine((value, ctx) => {
  if (value === '') return;
  if (value.trim() === '') ctx.addIssue({ code: 'custom', message: 'audience must not be blank' });
  else if (bytes(value) > LIMITS.idBytes)
    ctx.addIssue({ code: 'custom', message: `audience must be at most ${LIMITS.idBytes} bytes` });
});

/** A DPoP proof as forwarded (`DpopProof`), or null when the request has none. */
export const dpopProof = z
  .strictObject({ proof: z.string(), htm: z.string(), htu: z.string() })
  .superRefine((value, ctx) => {
    if (value.proof === '') ctx.addIssue({ code: 'custom', message: 'dpop.proof must not be empty' });
    else if (bytes(value.proof) > LIMITS.dpopProofBytes) {
      ctx.addIssue({ code: 'custom', message: `dpop.proof must be at most ${LIMITS.dpopProofBytes} bytes` });
    } else if (bytes(value.htm) > LIMITS.dpopHtmBytes) {
      ctx.addIssue({ code: 'custom', message: `dpop.htm must be at most ${LIMITS.dpopHtmBytes} bytes` });
    } else if (bytes(value.htu) > LIMITS.dpopHtuBytes) {
      ctx.addIssue({ code: 'custom', message: `dpop.htu must be at most ${LIMITS.dpopHtuBytes} bytes` });
    }
  })
  .nullable();

/** The deprecated request field; checked like the header. */
export const idempotencyKey = z.string().superRefine((value, ctx) => {
  if (value !== '' && !isValidIdempotencyKey(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `idempotency_key must be at most ${LIMITS.idempotencyKeyBytes} printable ASCII characters`,
    });
  }
});

/** At most 256 printable ASCII characters (0x20–0x7e). */
export function isValidIdempotencyKey(value: string): boolean {
  return value.length <= LIMITS.idempotencyKeyBytes && /^[\x20-\x7e]*$/.test(value);
}

/** `tenant_id`: every request names its tenant. Checked first, so it is the field reported first. */
export const tenantId = identifier('tenant_id');

/** Validates a request; returns the parsed value or the first problem, naming the field. */
export function validateRequest<T>(
  schema: z.ZodType<T>,
  message: unknown,
): { ok: true; value: T } | { ok: false; problem: string } {
  const result = schema.safeParse(message);
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: validationProblem(result.error) };
}

/** The first problem of a failed parse, naming the field and never quoting its value. */
export function validationProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'request is invalid';
  if (issue.code === 'custom') return issue.message;
  if (issue.code === 'unrecognized_keys') return `${issue.keys[0] ?? 'field'} is not a field of this request`;
  const field = issue.path.map(String).join('.') || 'request';
  return `${field} is invalid`;
}

import * as z from 'zod';

/**
 * Request schemas (spec §4): every limit, messages naming the field. The handlers see
 * only what these return. Lengths are UTF-8 bytes, as on the wire.
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
} as const;

/** Registered claims we set ourselves; custom claims may not use these names. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A non-blank identifier of at most 256 bytes. */
function identifier(field: string) {
  return z.string().superRefine((value, ctx) => {
    if (value.trim() === '') ctx.addIssue({ code: 'custom', message: `${field} must not be empty` });
    else if (bytes(value) > LIMITS.idBytes)
      ctx.addIssue({ code: 'custom', message: `${field} must be at most ${LIMITS.idBytes} bytes` });
  });
}

const audiences = z.array(z.string()).superRefine((list, ctx) => {
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

const claims = z.record(z.string(), z.string()).superRefine((map, ctx) => {
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
const refreshToken = z.string().superRefine((value, ctx) => {
  if (value === '') ctx.addIssue({ code: 'custom', message: 'refresh_token must not be empty' });
  else if (bytes(value) > LIMITS.refreshTokenBytes) {
    ctx.addIssue({ code: 'custom', message: `refresh_token must be at most ${LIMITS.refreshTokenBytes} bytes` });
  }
});

/** The deprecated request field; checked like the header (spec §4). */
const idempotencyKey = z.string().superRefine((value, ctx) => {
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

const tenantId = identifier('tenant_id');

// Field order matters: the first failing field is the one reported, tenant first (upstream).
export const IssueTokenRequestSchema = z.strictObject({
  tenant_id: tenantId,
  sub: identifier('sub'),
  idempotency_key: idempotencyKey,
  claims,
  audiences,
});
export const RefreshTokenRequestSchema = z.strictObject({
  tenant_id: tenantId,
  refresh_token: refreshToken,
  idempotency_key: idempotencyKey,
  claims,
});
export const RevokeTokenRequestSchema = z.strictObject({ tenant_id: tenantId, refresh_token: refreshToken });
export const RevokeAudienceRequestSchema = z.strictObject({ tenant_id: tenantId, audience: identifier('audience') });
export const RevokeUserRequestSchema = z.strictObject({ tenant_id: tenantId, user_id: identifier('user_id') });
export const RevokeUserAndAudienceRequestSchema = z.strictObject({
  tenant_id: tenantId,
  user_id: identifier('user_id'),
  audience: identifier('audience'),
});

export type IssueTokenRequest = z.infer<typeof IssueTokenRequestSchema>;
export type RefreshTokenRequest = z.infer<typeof RefreshTokenRequestSchema>;
export type RevokeTokenRequest = z.infer<typeof RevokeTokenRequestSchema>;
export type RevokeAudienceRequest = z.infer<typeof RevokeAudienceRequestSchema>;
export type RevokeUserRequest = z.infer<typeof RevokeUserRequestSchema>;
export type RevokeUserAndAudienceRequest = z.infer<typeof RevokeUserAndAudienceRequestSchema>;

/** Schema per full method path, for the validation interceptor. */
export const REQUEST_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['/token.v1.TokenEngine/IssueToken', IssueTokenRequestSchema],
  ['/token.v1.TokenEngine/RefreshToken', RefreshTokenRequestSchema],
  ['/token.v1.TokenEngine/RevokeToken', RevokeTokenRequestSchema],
  ['/token.v1.TokenEngine/RevokeAllForAudience', RevokeAudienceRequestSchema],
  ['/token.v1.TokenEngine/RevokeAllUserTokens', RevokeUserRequestSchema],
  ['/token.v1.TokenEngine/RevokeAllForUserAndAudience', RevokeUserAndAudienceRequestSchema],
]);

/** Validates a request; returns the parsed value or the first problem, naming the field. */
export function validateRequest(
  schema: z.ZodType,
  message: unknown,
): { ok: true; value: unknown } | { ok: false; problem: string } {
  const result = schema.safeParse(message);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  if (!issue) return { ok: false, problem: 'request is invalid' };
  if (issue.code === 'custom') return { ok: false, problem: issue.message };
  if (issue.code === 'unrecognized_keys')
    return { ok: false, problem: `${issue.keys[0] ?? 'field'} is not a field of this request` };
  const field = issue.path.map(String).join('.') || 'request';
  return { ok: false, problem: `${field} is invalid` };
}

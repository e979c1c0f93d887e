import {
  eventRetentionOf,
  type ImportedRefreshToken,
  type ImportOutcome,
  type NewRefreshToken,
  type NewTokenFamily,
  type PresentOutcome,
  type RevocationAudit,
  type RevocationEventScope,
  type RevocationQuery,
  type RevocationScope,
  type RevocationState,
  type RotateOutcome,
  type RotationOutcome,
  type StoredTokenState,
  type TenantStorePolicy,
  type TokenStore,
} from '../ports.js';
import { AUDIT_RECORDS_PER_TENANT } from '../audit-limit.js';
import { guarded, type RedisClient } from './client.js';
import { defineScript, integerReply, stringsReply } from './define-script.js';
import { tenantKeys } from './keys.js';
import { IMPORT_TOKENS, ISSUE, PRESENT, REVOKE_TOKEN, REVOKE_WATERMARK, ROTATE, TOKEN_STATES } from './scripts.js';

const issueScript = defineScript({ name: 'issue', keys: 2, lua: ISSUE, reply: integerReply('issue') });

const presentScript = defineScript({
  name: 'present',
  keys: 1,
  lua: PRESENT,
  reply: (raw): RotationOutcome => {
    const [kind, subject, audiences, claims, familyId, sequence, jkt] = stringsReply('present')(raw);
    if (kind === 'active') {
      return {
        kind,
        token: {
          subject: subject ?? '',
          audiences: JSON.parse(audiences ?? '[]') as string[],
          claims: JSON.parse(claims ?? '{}') as Record<string, string>,
          ...(jkt ? { jkt } : {}),
        },
        familyId: familyId ?? '',
        // Empty unless a number was reserved (presentForRotation).
        sequence: sequence ? Number(sequence) : 0,
      };
    }
    return { kind: refusal('present', kind) };
  },
});

const rotateScript = defineScript({
  name: 'rotate',
  keys: 2,
  lua: ROTATE,
  reply: (raw): RotateOutcome => {
    const [kind] = stringsReply('rotate')(raw);
    return kind === 'rotated' ? { kind } : { kind: refusal('rotate', kind) };
  },
});

const revokeTokenScript = defineScript({ name: 'revoke_token', keys: 1, lua: REVOKE_TOKEN, reply: integerReply('revoke_token') });

const revokeWatermarkScript = defineScript({
  name: 'revoke_watermark',
  keys: 1,
  lua: REVOKE_WATERMARK,
  reply: integerReply('revoke_watermark'),
});

const IMPORT_OUTCOMES: ReadonlySet<string> = new Set<ImportOutcome>(['imported', 'imported_revoked', 'already', 'revoked']);
const TOKEN_STATE_NAMES: ReadonlySet<string> = new Set<StoredTokenState>(['absent', 'active', 'consumed', 'revoked']);

const importTokensScript = defineScript({
  name: 'import_tokens',
  keys: 'any',
  lua: IMPORT_TOKENS,
  reply: (raw): ImportOutcome[] => oneOf('import_tokens', IMPORT_OUTCOMES, stringsReply('import_tokens')(raw)) as ImportOutcome[],
});

const tokenStatesScript = defineScript({
  name: 'token_states',
  keys: 'any',
  lua: TOKEN_STATES,
  reply: (raw): StoredTokenState[] =>
    oneOf('token_states', TOKEN_STATE_NAMES, stringsReply('token_states')(raw)) as StoredTokenState[],
});

/** Refresh tokens in Redis: one script call per operation. */
export class RedisTokenStore implements TokenStore {
  constructor(private readonly redis: RedisClient) {}

  issue(policy: TenantStorePolicy, token: NewTokenFamily): Promise<number> {
    const k = tenantKeys(policy.tenantId);
    return issueScript(
      this.redis,
      [k.refreshToken(token.digest), k.userFamilies(token.subject)],
      [
        k.prefix,
        token.subject,
        JSON.stringify(token.audiences),
        JSON.stringify(token.claims),
        token.familyId,
        token.issuedAt,
        token.expiresAt,
        JSON.stringify(k.watermarksFor(token.subject, token.audiences)),
        policy.maxFamiliesPerUser ?? 0,
        policy.revocationRetentionMs,
        eventRetentionOf(policy),
        token.jkt ?? '',
      ],
    );
  }

  async discard(policy: TenantStorePolicy, digest: string): Promise<void> {
    const key = tenantKeys(policy.tenantId).refreshToken(digest);
    await guarded(() => this.redis.del(key));
  }

  async present(policy: TenantStorePolicy, digest: string, now: number): Promise<PresentOutcome> {
    const outcome = await this.runPresent(policy, digest, now, false);
    return outcome.kind === 'active' ? { kind: 'active', token: outcome.token } : outcome;
  }

  presentForRotation(policy: TenantStorePolicy, digest: string, now: number): Promise<RotationOutcome> {
    return this.runPresent(policy, digest, now, true);
  }

  rotate(
    policy: TenantStorePolicy,
    presentedDigest: string,
    next: NewRefreshToken,
    now: number,
    sequence?: number,
  ): Promise<RotateOutcome> {
    const k = tenantKeys(policy.tenantId);
    return rotateScript(
      this.redis,
      [k.refreshToken(presentedDigest), k.refreshToken(next.digest)],
      [
        k.prefix,
        now,
        policy.revocationRetentionMs,
        JSON.stringify(next.claims),
        next.issuedAt,
        next.expiresAt,
        eventRetentionOf(policy),
        sequence ?? '',
      ],
    );
  }

  async revokeToken(policy: TenantStorePolicy, digest: string, audit: RevocationAudit): Promise<boolean> {
    const k = tenantKeys(policy.tenantId);
    const revoked = await revokeTokenScript(
      this.redis,
      [k.refreshToken(digest)],
      [
        k.prefix,
        policy.revocationRetentionMs,
        AUDIT_RECORDS_PER_TENANT,
        ...auditFields(policy.tenantId, audit),
        eventRetentionOf(policy),
        audit.occurredAt,
      ],
    );
    return revoked === 1;
  }

  revokeUser(policy: TenantStorePolicy, userId: string, audit: RevocationAudit): Promise<void> {
    const key = tenantKeys(policy.tenantId).userWatermark(userId);
    return this.revokeByWatermark(policy, key, audit, 'user', userId, '');
  }

  revokeAudience(policy: TenantStorePolicy, audience: string, audit: RevocationAudit): Promise<void> {
    const key = tenantKeys(policy.tenantId).audienceWatermark(audience);
    return this.revokeByWatermark(policy, key, audit, 'audience', '', audience);
  }

  revokeUserAudience(policy: TenantStorePolicy, userId: string, audience: string, audit: RevocationAudit): Promise<void> {
    const key = tenantKeys(policy.tenantId).userAudienceWatermark(userId, audience);
    return this.revokeByWatermark(policy, key, audit, 'user_audience', userId, audience);
  }

  /**
   * One MGET: every key shares the tenant's hash tag, so on a Cluster it is one command
   * to one node. The family marker first, then every watermark that applies.
   */
  async revocationState(policy: TenantStorePolicy, query: RevocationQuery): Promise<RevocationState> {
    const k = tenantKeys(policy.tenantId);
    // A token minted from an API key also reads the key's revocation marker, in the same MGET.
    const apiKeyMarker = query.apiKeyId ? [k.apiKeyRevoked(query.apiKeyId)] : [];
    const keys = [...apiKeyMarker, k.familyRevoked(query.familyId), ...k.watermarksFor(query.subject, query.audiences)];
    const replies = await guarded(() => this.redis.mget(...keys));
    const apiKeyRevoked = replies[0] !== null && replies[0] !== undefined;
    const [marker, ...marks] = replies.slice(apiKeyMarker.length);
    let watermark = 0;
    for (const mark of marks) {
      if (mark !== null) watermark = Math.max(watermark, Number(mark));
    }
    return {
      familyRevoked: marker !== null && marker !== undefined,
      watermark,
      ...(apiKeyMarker.length > 0 ? { apiKeyRevoked } : {}),
    };
  }

  async importTokens(policy: TenantStorePolicy, tokens: readonly ImportedRefreshToken[]): Promise<ImportOutcome[]> {
    if (tokens.length === 0) return [];
    const k = tenantKeys(policy.tenantId);
    const args: (string | number)[] = [k.prefix, policy.revocationRetentionMs];
    for (const t of tokens) {
      args.push(
        t.subject,
        JSON.stringify(t.audiences),
        JSON.stringify(t.claims),
        t.familyId,
        t.issuedAt,
        t.expiresAt,
        JSON.stringify(k.watermarksFor(t.subject, t.audiences)),
        t.revoked ? '1' : '0',
      );
    }
    const outcomes = await importTokensScript(
      this.redis,
      tokens.map((t) => k.refreshToken(t.digest)),
      args,
    );
    if (outcomes.length !== tokens.length)
      throw new Error(`script import_tokens answered ${outcomes.length} of ${tokens.length}`);
    return outcomes;
  }

  async tokenStates(policy: TenantStorePolicy, digests: readonly string[]): Promise<StoredTokenState[]> {
    if (digests.length === 0) return [];
    const k = tenantKeys(policy.tenantId);
    const states = await tokenStatesScript(
      this.redis,
      digests.map((d) => k.refreshToken(d)),
      [k.prefix],
    );
    if (states.length !== digests.length) throw new Error(`script token_states answered ${states.length} of ${digests.length}`);
    return states;
  }

  async recentAudit(tenantId: string, count: number): Promise<RevocationAudit[]> {
    const entries = await guarded(() => this.redis.xrevrange(tenantKeys(tenantId).audit(), '+', '-', 'COUNT', count));
    return entries.reverse().map(([, fields]) => {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
      return {
        callerIdentity: f.get('caller_identity') ?? '',
        tokenRef: f.get('token_ref') ?? '',
        target: f.get('target') ?? '',
        scope: (f.get('scope') ?? 'token') as RevocationScope,
        occurredAt: Date.parse(f.get('occurred_at') ?? ''),
      };
    });
  }

  private runPresent(policy: TenantStorePolicy, digest: string, now: number, reserve: boolean): Promise<RotationOutcome> {
    const k = tenantKeys(policy.tenantId);
    return presentScript(
      this.redis,
      [k.refreshToken(digest)],
      [k.prefix, now, policy.revocationRetentionMs, eventRetentionOf(policy), reserve ? '1' : '0'],
    );
  }

  private async revokeByWatermark(
    policy: TenantStorePolicy,
    watermarkKey: string,
    audit: RevocationAudit,
    scope: RevocationEventScope,
    userId: string,
    audience: string,
  ): Promise<void> {
    await revokeWatermarkScript(
      this.redis,
      [watermarkKey],
      [
        tenantKeys(policy.tenantId).prefix,
        policy.revocationRetentionMs,
        AUDIT_RECORDS_PER_TENANT,
        ...auditFields(policy.tenantId, audit),
        eventRetentionOf(policy),
        audit.occurredAt,
        scope,
        userId,
        audience,
      ],
    );
  }
}

/** The refusals a token script answers with; anything else is a bug. */
function refusal(name: string, kind: string | undefined): 'not_found' | 'revoked' | 'reused' {
  if (kind === 'not_found' || kind === 'revoked' || kind === 'reused') return kind;
  throw new Error(`unexpected reply from script ${name}: ${String(kind)}`);
}

/** Checks every item of a script's reply against the words it may answer; anything else is a bug. */
function oneOf(name: string, allowed: ReadonlySet<string>, items: readonly (string | undefined)[]): string[] {
  return items.map((item) => {
    if (item === undefined || !allowed.has(item)) throw new Error(`unexpected reply from script ${name}: ${String(item)}`);
    return item;
  });
}

function auditFields(tenantId: string, audit: RevocationAudit): string[] {
  return [tenantId, audit.callerIdentity, audit.tokenRef, audit.target, audit.scope, new Date(audit.occurredAt).toISOString()];
}

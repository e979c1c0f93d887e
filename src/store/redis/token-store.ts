import type {
  NewRefreshToken,
  NewTokenFamily,
  PresentOutcome,
  RevocationAudit,
  RevocationScope,
  RotateOutcome,
  TenantStorePolicy,
  TokenStore,
} from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { TenantKeys } from './keys.js';
import { ISSUE, PRESENT, REVOKE_TOKEN, REVOKE_WATERMARK, ROTATE } from './scripts.js';

/** Audit streams keep about this many records per tenant (approximate trim). */
export const AUDIT_STREAM_MAX_LENGTH = 100_000;

type ScriptName = 'teIssue' | 'tePresent' | 'teRotate' | 'teRevokeToken' | 'teRevokeWatermark';
const SCRIPTS: Record<ScriptName, { keys: number; lua: string }> = {
  teIssue: { keys: 1, lua: ISSUE },
  tePresent: { keys: 1, lua: PRESENT },
  teRotate: { keys: 2, lua: ROTATE },
  teRevokeToken: { keys: 1, lua: REVOKE_TOKEN },
  teRevokeWatermark: { keys: 1, lua: REVOKE_WATERMARK },
};

type ScriptRunner = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Refresh tokens in Redis: one script call per operation. */
export class RedisTokenStore implements TokenStore {
  private readonly keysByTenant = new Map<string, TenantKeys>();

  constructor(private readonly redis: RedisClient) {
    for (const [name, script] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
    }
  }

  async issue(policy: TenantStorePolicy, token: NewTokenFamily): Promise<void> {
    const k = this.keys(policy.tenantId);
    await this.run(
      'teIssue',
      k.refreshToken(token.digest),
      k.prefix,
      token.subject,
      JSON.stringify(token.audiences),
      JSON.stringify(token.claims),
      token.familyId,
      token.issuedAt,
      token.expiresAt,
      JSON.stringify(k.watermarksFor(token.subject, token.audiences)),
    );
  }

  async present(policy: TenantStorePolicy, digest: string, now: number): Promise<PresentOutcome> {
    const k = this.keys(policy.tenantId);
    const reply = (await this.run('tePresent', k.refreshToken(digest), k.prefix, now, policy.revocationRetentionMs)) as string[];
    const [kind, subject, audiences, claims] = reply;
    if (kind === 'active') {
      return {
        kind,
        token: {
          subject: subject ?? '',
          audiences: JSON.parse(audiences ?? '[]') as string[],
          claims: JSON.parse(claims ?? '{}') as Record<string, string>,
        },
      };
    }
    return { kind: outcomeKind(kind) };
  }

  async rotate(policy: TenantStorePolicy, presentedDigest: string, next: NewRefreshToken, now: number): Promise<RotateOutcome> {
    const k = this.keys(policy.tenantId);
    const reply = (await this.run(
      'teRotate',
      k.refreshToken(presentedDigest),
      k.refreshToken(next.digest),
      k.prefix,
      now,
      policy.revocationRetentionMs,
      JSON.stringify(next.claims),
      next.issuedAt,
      next.expiresAt,
    )) as string[];
    const kind = reply[0];
    return kind === 'rotated' ? { kind } : { kind: outcomeKind(kind) };
  }

  async revokeToken(policy: TenantStorePolicy, digest: string, audit: RevocationAudit): Promise<void> {
    const k = this.keys(policy.tenantId);
    await this.run(
      'teRevokeToken',
      k.refreshToken(digest),
      k.prefix,
      policy.revocationRetentionMs,
      AUDIT_STREAM_MAX_LENGTH,
      ...auditFields(policy.tenantId, audit),
    );
  }

  revokeUser(policy: TenantStorePolicy, userId: string, audit: RevocationAudit): Promise<void> {
    return this.revokeByWatermark(policy, this.keys(policy.tenantId).userWatermark(userId), audit);
  }

  revokeAudience(policy: TenantStorePolicy, audience: string, audit: RevocationAudit): Promise<void> {
    return this.revokeByWatermark(policy, this.keys(policy.tenantId).audienceWatermark(audience), audit);
  }

  revokeUserAudience(policy: TenantStorePolicy, userId: string, audience: string, audit: RevocationAudit): Promise<void> {
    return this.revokeByWatermark(policy, this.keys(policy.tenantId).userAudienceWatermark(userId, audience), audit);
  }

  async recentAudit(tenantId: string, count: number): Promise<RevocationAudit[]> {
    const entries = await guarded(() => this.redis.xrevrange(this.keys(tenantId).audit(), '+', '-', 'COUNT', count));
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

  private async revokeByWatermark(policy: TenantStorePolicy, watermarkKey: string, audit: RevocationAudit): Promise<void> {
    await this.run(
      'teRevokeWatermark',
      watermarkKey,
      this.keys(policy.tenantId).prefix,
      policy.revocationRetentionMs,
      AUDIT_STREAM_MAX_LENGTH,
      ...auditFields(policy.tenantId, audit),
    );
  }

  private keys(tenantId: string): TenantKeys {
    let k = this.keysByTenant.get(tenantId);
    if (!k) {
      k = new TenantKeys(tenantId);
      this.keysByTenant.set(tenantId, k);
    }
    return k;
  }

  private run(name: ScriptName, ...keysAndArgs: (string | number)[]): Promise<unknown> {
    const runner = (this.redis as unknown as Record<ScriptName, ScriptRunner>)[name];
    return guarded(() => runner.apply(this.redis, keysAndArgs));
  }
}

function outcomeKind(kind: string | undefined): 'not_found' | 'revoked' | 'reused' {
  if (kind === 'not_found' || kind === 'revoked' || kind === 'reused') return kind;
  throw new Error(`unexpected token script reply: ${String(kind)}`);
}

function auditFields(tenantId: string, audit: RevocationAudit): string[] {
  return [tenantId, audit.callerIdentity, audit.tokenRef, audit.target, audit.scope, new Date(audit.occurredAt).toISOString()];
}

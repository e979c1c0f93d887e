import { decodeJwt } from 'jose';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { TokenMetrics } from '../observability/metrics.js';
import { DomainError } from '../errors.js';
import type { RevocationAudit, RevocationScope, TokenStore } from '../store/ports.js';
import type { Tenant, TenantRegistry } from '../tenancy/tenants.js';
import type { DpopProofInput } from '../dpop/proof.js';
import type { DpopVerifier } from '../dpop/verifier.js';
import { signAccessToken } from './access-token.js';
import { hasRefreshTokenShape, mintRefreshToken, newFamilyId, refreshTokenDigest, tokenRef } from './refresh-token.js';

/** The response of IssueToken and RefreshToken. */
export interface IssuedPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Whole seconds until the access token expires. */
  readonly accessTokenExpiresIn: number;
  /** Whole seconds until the refresh token expires. */
  readonly refreshTokenExpiresIn: number;
}

export interface IssueCommand {
  readonly tenantId: string;
  readonly subject: string;
  /** Empty: the tenant's default audience. */
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  /** A DPoP proof: the pair is bound to its key. */
  readonly dpop?: DpopProofInput | undefined;
}

export interface RefreshCommand {
  readonly tenantId: string;
  readonly refreshToken: string;
  /** Empty: the claims stored when the family was issued carry over. */
  readonly claims: Readonly<Record<string, string>>;
  /** A DPoP proof: required, by the family's key, when the family is bound. */
  readonly dpop?: DpopProofInput | undefined;
}

export interface TokenServiceDeps {
  readonly tenants: TenantRegistry;
  readonly store: TokenStore;
  readonly clock: Clock;
  /** Receives the `token revoked` audit line of every revocation. */
  readonly log: Logger;
  /** Counters of issued, refreshed and revoked tokens and of detected reuse. */
  readonly metrics?: TokenMetrics;
  /** Checks DPoP proofs; without it a request carrying a proof is refused. */
  readonly dpop?: DpopVerifier | undefined;
  /**
   * How long an idempotent RefreshToken response is replayed
   * (TOKEN_ENGINE_REFRESH_REPLAY_WINDOW); default {@link DEFAULT_REFRESH_REPLAY_WINDOW_MS}.
   */
  readonly refreshReplayWindowMs?: number;
}

/** The default replay window of an idempotent RefreshToken response: 5 minutes. */
export const DEFAULT_REFRESH_REPLAY_WINDOW_MS = 5 * 60_000;

/** Who asks for a revocation, for the audit trail. */
export interface Caller {
  readonly identity: string;
}

const notFound = (): DomainError => new DomainError('refresh_token_not_found', 'refresh token not found');

/** The token use cases: issue, refresh with rotation, and the four revocations. */
export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  /**
   * Issues a pair. The store step comes first and hands out the access token's `rsq` (the
   * tenant's issue sequence, taken while this call is in progress), so that a revocation
   * that starts after this call returns always has a watermark at or above it and one
   * that returns before this call starts always below it (doc/adr/0006-revocation-reach.md).
   * The signing key is taken before anything is written, so a tenant without one refuses
   * with nothing stored; a signature that still fails deletes the record nobody holds.
   */
  async issue(cmd: IssueCommand): Promise<IssuedPair> {
    const tenant = this.tenant(cmd.tenantId);
    const key = tenant.keys.current();
    // The proof is checked before anything is stored: a refused proof leaves nothing behind.
    const jkt = cmd.dpop ? await this.proofKey(tenant, cmd.dpop) : undefined;
    const now = this.deps.clock.now();
    const audiences = cmd.audiences.length > 0 ? [...cmd.audiences] : [tenant.defaultAudience];
    const refresh = mintRefreshToken();
    const familyId = newFamilyId();
    const expiresAt = now + tenant.refreshTokenTtlMs;
    const sequence = await this.deps.store.issue(tenant.storePolicy, {
      digest: refresh.digest,
      familyId,
      subject: cmd.subject,
      audiences,
      claims: cmd.claims,
      issuedAt: now,
      expiresAt,
      ...(jkt ? { jkt } : {}),
    });
    let access: { token: string; expiresAtMs: number };
    try {
      access = await signAccessToken(
        key,
        { issuer: tenant.issuer, subject: cmd.subject, audiences, claims: cmd.claims, sessionId: familyId, sequence, jkt },
        now,
        tenant.accessTokenTtlMs,
      );
    } catch (err) {
      await this.deps.store.discard(tenant.storePolicy, refresh.digest).catch((cause: unknown) => {
        this.deps.log.warn(
          { tenant_id: tenant.id, err: (cause as Error).message },
          'could not delete the refresh record of a failed issue; it expires unused',
        );
      });
      throw err;
    }
    this.deps.metrics?.tokensIssued.inc({ tenant_id: tenant.id });
    return pair(access, refresh.value, expiresAt, now);
  }

  /**
   * Rotates a refresh token. The presented token is checked and a sequence number is
   * reserved for the new access token (`rsq`) in one store step; the access token is
   * signed before anything else is written, and the rotation itself is one atomic store
   * step that re-checks everything: a failure anywhere leaves the presented token valid
   * and nothing half-written.
   */
  async refresh(cmd: RefreshCommand): Promise<IssuedPair> {
    const tenant = this.tenant(cmd.tenantId);
    if (!hasRefreshTokenShape(cmd.refreshToken)) throw notFound();
    // The proof is checked before the store sees the refresh token, so a refused proof
    // neither consumes it nor counts as its reuse.
    const proofJkt = cmd.dpop ? await this.proofKey(tenant, cmd.dpop) : undefined;
    const digest = refreshTokenDigest(cmd.refreshToken);
    const now = this.deps.clock.now();
    const presented = await this.deps.store.presentForRotation(tenant.storePolicy, digest, now);
    if (presented.kind !== 'active') throw this.refusal(tenant, presented.kind);
    // The binding is compared before the rotation, against the family's stored thumbprint:
    // a family's thumbprint never changes (ROTATE copies it from the consumed record), so no
    // concurrent call can make the comparison stale. (doc/adr/0007-dpop-binding.md)
    const jkt = presented.token.jkt;
    if (jkt !== undefined) {
      if (proofJkt === undefined) throw new DomainError('dpop_proof_required', 'dpop proof required');
      if (proofJkt !== jkt) {
        throw new DomainError('dpop_key_mismatch', 'dpop proof is signed by another key than the token family is bound to');
      }
    }

    const claims = Object.keys(cmd.claims).length > 0 ? cmd.claims : presented.token.claims;
    const { familyId, sequence } = presented;
    const access = await signAccessToken(
      tenant.keys.current(),
      {
        issuer: tenant.issuer,
        subject: presented.token.subject,
        audiences: presented.token.audiences,
        claims,
        sessionId: familyId,
        sequence,
        jkt,
      },
      now,
      tenant.accessTokenTtlMs,
    );
    const next = mintRefreshToken();
    const expiresAt = now + tenant.refreshTokenTtlMs;
    const rotated = await this.deps.store.rotate(
      tenant.storePolicy,
      digest,
      { ...presented.token, claims, digest: next.digest, issuedAt: now, expiresAt },
      now,
      sequence,
    );
    if (rotated.kind !== 'rotated') throw this.refusal(tenant, rotated.kind);
    this.deps.metrics?.tokensRefreshed.inc({ tenant_id: tenant.id });
    return pair(access, next.value, expiresAt, now);
  }

  /** How long an idempotent RefreshToken response is replayed. */
  get refreshReplayWindowMs(): number {
    return this.deps.refreshReplayWindowMs ?? DEFAULT_REFRESH_REPLAY_WINDOW_MS;
  }

  /**
   * Before an idempotent IssueToken or RefreshToken response is replayed: refuses it
   * (PERMISSION_DENIED) when its family or a watermark that applies to its access token
   * was revoked since. The access token comes from the sealed record the service wrote
   * itself, so its claims (`sid`, `rsq`, `sub`, `aud`) are read without verifying it again.
   */
  async checkReplay(tenantId: string, accessToken: string): Promise<void> {
    const tenant = this.tenant(tenantId);
    const claims = decodeJwt(accessToken);
    const { sid, rsq, sub } = claims;
    if (typeof sid !== 'string' || typeof rsq !== 'number' || typeof sub !== 'string') {
      throw new Error('replayed access token lacks sid, rsq or sub');
    }
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    const state = await this.deps.store.revocationState(tenant.storePolicy, { familyId: sid, subject: sub, audiences });
    if (state.familyRevoked || rsq <= state.watermark) throw refusal('revoked');
  }

  /**
   * RFC 7009: revoking an unknown or already revoked token succeeds. Such a no-op leaves
   * no audit record, log line or count: only a revocation that changed something does.
   */
  async revokeToken(tenantId: string, refreshToken: string, caller: Caller): Promise<void> {
    const tenant = this.tenant(tenantId);
    const audit = this.audit(caller, 'token', tokenRef(refreshToken), '');
    if (await this.deps.store.revokeToken(tenant.storePolicy, refreshTokenDigest(refreshToken), audit)) {
      this.afterRevocation(tenant, audit);
    }
  }

  async revokeUser(tenantId: string, userId: string, caller: Caller): Promise<void> {
    const tenant = this.tenant(tenantId);
    const audit = this.audit(caller, 'user', '', userId);
    await this.deps.store.revokeUser(tenant.storePolicy, userId, audit);
    this.afterRevocation(tenant, audit);
  }

  async revokeAudience(tenantId: string, audience: string, caller: Caller): Promise<void> {
    const tenant = this.tenant(tenantId);
    const audit = this.audit(caller, 'audience', '', audience);
    await this.deps.store.revokeAudience(tenant.storePolicy, audience, audit);
    this.afterRevocation(tenant, audit);
  }

  async revokeUserAudience(tenantId: string, userId: string, audience: string, caller: Caller): Promise<void> {
    const tenant = this.tenant(tenantId);
    const audit = this.audit(caller, 'user_audience', '', userId);
    await this.deps.store.revokeUserAudience(tenant.storePolicy, userId, audience, audit);
    this.afterRevocation(tenant, audit);
  }

  /** The nonce a response carrying DPoP should hand out now, when server nonces are on. */
  dpopNonce(): string | undefined {
    return this.deps.dpop?.nonce();
  }

  /** The thumbprint of a proof's key, or the refusal naming the failed check. */
  private proofKey(tenant: Tenant, proof: DpopProofInput): Promise<string> {
    if (!this.deps.dpop) throw new DomainError('dpop_proof_invalid', 'dpop proof invalid: DPoP is not served');
    return this.deps.dpop.thumbprint({ tenantId: tenant.id, proof });
  }

  private tenant(tenantId: string): Tenant {
    const tenant = this.deps.tenants.get(tenantId);
    if (!tenant) throw new DomainError('tenant_not_found', `tenant ${tenantId} not found`);
    return tenant;
  }

  /** Counts a detected reuse (the store has already revoked the family) and builds the refusal. */
  private refusal(tenant: Tenant, kind: 'not_found' | 'revoked' | 'reused'): DomainError {
    if (kind === 'reused') this.deps.metrics?.refreshReuseDetected.inc({ tenant_id: tenant.id });
    return refusal(kind);
  }

  /** The audit log line (doc/OPERATIONS.md, "Audit trail"; the same record is already in the tenant's audit stream) and the revocation counter. */
  private afterRevocation(tenant: Tenant, audit: RevocationAudit): void {
    this.deps.metrics?.tokensRevoked.inc({ tenant_id: tenant.id, scope: audit.scope });
    this.deps.log.info(
      {
        tenant_id: tenant.id,
        caller_identity: audit.callerIdentity,
        token_ref: audit.tokenRef,
        target: audit.target,
        scope: audit.scope,
        occurred_at: new Date(audit.occurredAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      'token revoked',
    );
  }

  private audit(caller: Caller, scope: RevocationScope, ref: string, target: string): RevocationAudit {
    return { callerIdentity: caller.identity, tokenRef: ref, target, scope, occurredAt: this.deps.clock.now() };
  }
}

function refusal(kind: 'not_found' | 'revoked' | 'reused'): DomainError {
  if (kind === 'not_found') return notFound();
  if (kind === 'reused') {
    return new DomainError('refresh_token_reused', 'refresh token was already used; its token family is revoked');
  }
  return new DomainError('refresh_token_revoked', 'refresh token revoked');
}

function pair(
  access: { token: string; expiresAtMs: number },
  refreshToken: string,
  refreshExpiresAt: number,
  now: number,
): IssuedPair {
  return {
    accessToken: access.token,
    refreshToken,
    // Whole seconds left, rounded down: never promise a moment the token is no longer valid.
    accessTokenExpiresIn: Math.max(0, Math.floor((access.expiresAtMs - now) / 1000)),
    refreshTokenExpiresIn: Math.max(0, Math.floor((refreshExpiresAt - now) / 1000)),
  };
}

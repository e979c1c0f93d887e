import type { Clock } from '../clock.js';
import type { DpopProofInput } from '../dpop/proof.js';
import type { DpopVerifier } from '../dpop/verifier.js';
import { DomainError, invalidArgument } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { RevocationAudit, RevocationScope } from '../store/ports.js';
import type { Tenant, TenantRegistry } from '../tenancy/tenants.js';
import { signAccessToken } from '../tokens/access-token.js';
import { newFamilyId } from '../tokens/refresh-token.js';
import { fromPageToken, pageToken } from './cursor.js';
import type { ApiKeyMetrics, ExchangeResult } from './metrics.js';
import { digestMatches, mintSecret, newKeyId, type Pepper, parseSecret, secretDigest } from './secret.js';
import type { ActiveApiKey, ApiKeyInfo, ApiKeyStore } from './store.js';

/** `last_used_at` is written at most this often per key (the first use at once). */
export const LAST_USED_COARSE_MS = 60_000;

/** The one message of every refused exchange: no oracle for which check failed. */
export const API_KEY_INVALID = 'api key invalid';

export interface ApiKeyServiceDeps {
  readonly tenants: TenantRegistry;
  readonly store: ApiKeyStore;
  readonly clock: Clock;
  /** Receives the audit lines (`api key created`, `api key revoked`, `api key exchange refused`). */
  readonly log: Logger;
  /** Keys the stored digests; undefined: the feature is off (Redis store with no pepper and no key-encryption key). */
  readonly pepper: Pepper | undefined;
  /** Live keys one owner may hold per tenant. */
  readonly perOwner: number;
  /** Longest lifetime a key may be created with (0, never expiring, is always accepted). */
  readonly maxLifetimeMs: number;
  /** Lifetime of minted tokens for tenants that name none (at most their access-token lifetime). */
  readonly tokenTtlMs: number;
  readonly metrics?: ApiKeyMetrics | undefined;
  /** Checks DPoP proofs; without it an exchange carrying a proof is refused. */
  readonly dpop?: DpopVerifier | undefined;
}

/** Who asks, for the audit trail. */
export interface Caller {
  readonly identity: string;
}

export interface CreateCommand {
  readonly tenantId: string;
  readonly owner: string;
  readonly name: string;
  readonly claims: Readonly<Record<string, string>>;
  readonly audiences: readonly string[];
  /** Seconds; 0 = never expires. */
  readonly expiresIn: number;
}

export interface ExchangeCommand {
  readonly tenantId: string;
  /** The presented secret: never logged, never stored, never echoed. */
  readonly secret: string;
  /** A DPoP proof: the minted token is bound to its key (`cnf.jkt`). */
  readonly dpop?: DpopProofInput | undefined;
}

/** A created key: the secret (shown this once) and its metadata. */
export interface CreatedApiKey {
  readonly secret: string;
  readonly info: ApiKeyInfo;
}

/** A minted access token and its whole seconds left. */
export interface ExchangedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

/**
 * The API-key use cases. A secret is checked for shape and checksum before any store
 * access, looked up by the key id it embeds with one store read, and compared by keyed
 * digest in constant time. Every refusal is the same UNAUTHENTICATED answer; the reason
 * goes only to the metric, the audit record and the log.
 */
export class ApiKeyService {
  constructor(private readonly deps: ApiKeyServiceDeps) {}

  async create(cmd: CreateCommand, caller: Caller): Promise<CreatedApiKey> {
    const pepper = this.pepper();
    const tenant = this.tenant(cmd.tenantId);
    const max = this.deps.maxLifetimeMs;
    if (cmd.expiresIn * 1000 > max) {
      throw invalidArgument(`expires_in must be at most ${Math.floor(max / 1000)} seconds (TOKEN_ENGINE_API_KEY_MAX_LIFETIME)`);
    }
    const now = this.deps.clock.now();
    const keyId = newKeyId();
    const secret = mintSecret(keyId);
    const key = {
      keyId,
      owner: cmd.owner,
      name: cmd.name,
      claims: { ...cmd.claims },
      audiences: [...cmd.audiences],
      createdAt: now,
      expiresAt: cmd.expiresIn > 0 ? now + cmd.expiresIn * 1000 : 0,
    };
    const audit = this.audit(caller, 'api_key_create', keyId, '');
    const outcome = await this.deps.store.create(
      tenant.storePolicy,
      { ...key, digest: secretDigest(pepper, secret) },
      this.deps.perOwner,
      audit,
    );
    if (outcome === 'limit') {
      throw new DomainError('api_key_limit', `owner already holds ${this.deps.perOwner} live API keys`);
    }
    this.auditLine(tenant, audit, 'api key created');
    return { secret, info: { ...key, lastUsedAt: 0, revoked: false } };
  }

  async list(
    tenantId: string,
    owner: string,
    token: string,
    pageSize: number,
  ): Promise<{ keys: readonly ApiKeyInfo[]; next: string }> {
    this.pepper();
    const tenant = this.tenant(tenantId);
    const cursor = fromPageToken(token);
    if (cursor === undefined) throw invalidArgument('page_token is not a page token of this list');
    const page = await this.deps.store.list(tenant.storePolicy, owner, cursor, pageSize, this.deps.clock.now());
    return { keys: page.keys, next: pageToken(page.next) };
  }

  /** Idempotent: an unknown or already revoked key is OK. */
  async revoke(tenantId: string, keyId: string, caller: Caller): Promise<void> {
    this.pepper();
    const tenant = this.tenant(tenantId);
    const audit = this.audit(caller, 'api_key', keyId, '');
    await this.deps.store.revoke(tenant.storePolicy, keyId, audit);
    this.auditLine(tenant, audit, 'api key revoked');
  }

  async exchange(cmd: ExchangeCommand, caller: Caller): Promise<ExchangedToken> {
    const pepper = this.pepper();
    const tenant = this.tenant(cmd.tenantId);
    const parsed = parseSecret(cmd.secret);
    // A mistyped or foreign string costs no store call.
    if (parsed.kind !== 'ok') {
      throw this.refused(tenant, caller, parsed.kind, parsed.kind === 'checksum' ? parsed.keyId : '', false);
    }
    // After the checksum (a mistyped key still costs no store call), before the key's
    // look-up: a refused proof is INVALID_ARGUMENT naming its check, whatever the key, so it
    // tells nothing about the key.
    const jkt = cmd.dpop ? await this.proofKey(tenant, cmd.dpop) : undefined;
    const now = this.deps.clock.now();
    const found = await this.deps.store.lookup(tenant.storePolicy, parsed.keyId, now);
    if (found.kind !== 'active') throw this.refused(tenant, caller, found.kind, parsed.keyId, true);
    if (!digestMatches(pepper, cmd.secret, found.key.digest)) {
      throw this.refused(tenant, caller, 'unknown', parsed.keyId, true);
    }
    const key = found.key;
    const ttlMs = tenant.apiKeyTokenTtlMs ?? Math.min(this.deps.tokenTtlMs, tenant.accessTokenTtlMs);
    const access = await signAccessToken(
      tenant.keys.current(),
      {
        issuer: tenant.issuer,
        subject: key.owner,
        audiences: key.audiences.length > 0 ? key.audiences : [tenant.defaultAudience],
        claims: this.tokenClaims(key),
        // No refresh token and no family to revoke: a fresh opaque `sid` per token.
        sessionId: newFamilyId(),
        sequence: found.sequence,
        jkt,
      },
      now,
      ttlMs,
    );
    if (now - key.lastUsedAt >= LAST_USED_COARSE_MS) await this.touch(tenant, key.keyId, now);
    this.deps.metrics?.exchanges.inc({ tenant_id: tenant.id, result: 'ok' });
    return { accessToken: access.token, expiresIn: Math.max(0, Math.floor((access.expiresAtMs - now) / 1000)) };
  }

  /** The nonce a response to an exchange carrying DPoP should hand out now, when server nonces are on. */
  dpopNonce(): string | undefined {
    return this.deps.dpop?.nonce();
  }

  /** The thumbprint of a proof's key, or the refusal naming the failed check. */
  private proofKey(tenant: Tenant, proof: DpopProofInput): Promise<string> {
    if (!this.deps.dpop) throw new DomainError('dpop_proof_invalid', 'dpop proof invalid: DPoP is not served');
    return this.deps.dpop.thumbprint({ tenantId: tenant.id, proof });
  }

  /** Live keys per tenant (the `token_engine_api_keys_live` gauge); tenants whose store does not answer are left out. */
  async liveCounts(): Promise<{ tenant: string; count: number }[]> {
    const now = this.deps.clock.now();
    const counts = await Promise.all(
      this.deps.tenants.all().map(async (t) => {
        try {
          return { tenant: t.id, count: await this.deps.store.liveCount(t.storePolicy, now) };
        } catch {
          return undefined;
        }
      }),
    );
    return counts.filter((c) => c !== undefined);
  }

  /**
   * The custom claims of a minted token: the key's, and `akid`. A DPoP binding adds its
   * `cnf` here, from the proof checked before the store read.
   */
  private tokenClaims(key: ActiveApiKey): Record<string, string> {
    return { ...key.claims, akid: key.keyId };
  }

  /** `last_used_at`, coarse: a failure costs the caller nothing, it is only logged. */
  private async touch(tenant: Tenant, keyId: string, now: number): Promise<void> {
    try {
      await this.deps.store.touch(tenant.storePolicy, keyId, now, LAST_USED_COARSE_MS);
    } catch (err) {
      this.deps.log.warn({ tenant_id: tenant.id, key_id: keyId, err: (err as Error).message }, 'could not record api key use');
    }
  }

  /**
   * Counts, logs and audits a refused exchange (the store record only after a store read:
   * a mistyped key costs no store call), and builds the one answer for all.
   */
  private refused(tenant: Tenant, caller: Caller, reason: ExchangeResult, keyId: string, stored: boolean): DomainError {
    this.deps.metrics?.exchanges.inc({ tenant_id: tenant.id, result: reason });
    const audit = this.audit(caller, 'api_key_exchange_refused', keyId, reason);
    this.auditLine(tenant, audit, 'api key exchange refused');
    if (stored) {
      this.deps.store.audit(tenant.storePolicy, audit).catch((err: unknown) => {
        this.deps.log.warn(
          { tenant_id: tenant.id, err: (err as Error).message },
          'could not store the audit record of a refused exchange',
        );
      });
    }
    return new DomainError('api_key_invalid', API_KEY_INVALID);
  }

  private pepper(): Pepper {
    if (!this.deps.pepper) {
      throw new DomainError(
        'api_keys_disabled',
        'API keys are off on this server: set TOKEN_ENGINE_API_KEY_PEPPER (or TOKEN_ENGINE_KEY_ENCRYPTION_KEY)',
      );
    }
    return this.deps.pepper;
  }

  private tenant(tenantId: string): Tenant {
    const tenant = this.deps.tenants.get(tenantId);
    if (!tenant) throw new DomainError('tenant_not_found', `tenant ${tenantId} not found`);
    return tenant;
  }

  private audit(caller: Caller, scope: RevocationScope, keyId: string, ref: string): RevocationAudit {
    return { callerIdentity: caller.identity, tokenRef: ref, target: keyId, scope, occurredAt: this.deps.clock.now() };
  }

  /** The audit log line: the key id, never the secret. */
  private auditLine(tenant: Tenant, audit: RevocationAudit, message: string): void {
    this.deps.log.info(
      {
        tenant_id: tenant.id,
        caller_identity: audit.callerIdentity,
        key_id: audit.target,
        ...(audit.tokenRef === '' ? {} : { reason: audit.tokenRef }),
        scope: audit.scope,
        occurred_at: new Date(audit.occurredAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      message,
    );
  }
}

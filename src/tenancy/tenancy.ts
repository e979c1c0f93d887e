import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { SigningAlg } from '../keys/algorithms.js';
import { KeyRing } from '../keys/key-ring.js';
import { SealedKeySigner } from '../keys/sealed-signer.js';
import type { Signer } from '../keys/signer.js';
import type { Logger } from '../observability/logger.js';
import { eventRetentionFor, type LockStore, type SigningKeyStore } from '../store/ports.js';
import { loadTenantsFile, type TenantDefinition } from './tenants-file.js';
import type { Tenant, TenantRegistry } from './tenants.js';

/** What every tenant inherits from the configuration unless its definition overrides it. */
export interface TenantSettings {
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly signingAlg: SigningAlg;
  readonly keyRotationIntervalMs: number;
  /** New keys are published this long before they sign (one JWKS cache lifetime). */
  readonly jwksCacheMaxAgeMs: number;
  readonly rotationWindowGuardMs: number;
  readonly keyEncryptionKey: Buffer | undefined;
  readonly lockTtlMs: number;
  /** Live refresh-token families a user may hold (TOKEN_ENGINE_MAX_FAMILIES_PER_USER); absent: no cap. */
  readonly maxFamiliesPerUser?: number;
  /** Lifetime of tokens minted by ExchangeApiKey. */
  readonly apiKeyTokenTtlMs?: number | undefined;
}

/** The settings of {@link TenantSettings} as the configuration gives them. */
export function tenantSettings(config: Config): TenantSettings {
  return {
    accessTokenTtlMs: config.accessTokenTtlMs,
    refreshTokenTtlMs: config.refreshTokenTtlMs,
    signingAlg: config.signingAlg,
    keyRotationIntervalMs: config.keyRotationIntervalMs,
    jwksCacheMaxAgeMs: config.jwksCacheMaxAgeMs,
    rotationWindowGuardMs: config.rotationWindowGuardMs,
    keyEncryptionKey: config.keyEncryptionKey,
    lockTtlMs: config.lockTtlMs,
    maxFamiliesPerUser: config.maxFamiliesPerUser,
    apiKeyTokenTtlMs: config.apiKeyTokenTtlMs,
  };
}

/** What building a tenant needs besides its definition. */
export interface TenantDeps {
  readonly signingKeys: SigningKeyStore;
  readonly locks: LockStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Holds the private keys; the sealed-key signer under `keyEncryptionKey` when absent. */
  readonly signer?: Signer;
  /** Told after every key rotation this replica performs for the tenant. */
  readonly onRotated?: (tenantId: string, reason: 'scheduled' | 'emergency') => void;
}

/** A tenant from its definition: lifetimes and algorithm (own or inherited) and its key ring (not loaded yet). */
export function buildTenant(definition: TenantDefinition, settings: TenantSettings, deps: TenantDeps): Tenant {
  const accessTokenTtlMs = definition.accessTokenTtlMs ?? settings.accessTokenTtlMs;
  const refreshTokenTtlMs = definition.refreshTokenTtlMs ?? settings.refreshTokenTtlMs;
  const alg = definition.signingAlg ?? settings.signingAlg;
  const apiKeyTokenTtlMs = definition.apiKeyTokenTtlMs ?? settings.apiKeyTokenTtlMs;
  const { onRotated } = deps;
  const keys = new KeyRing(
    definition.id,
    alg,
    {
      rotationIntervalMs: settings.keyRotationIntervalMs,
      publishAheadMs: settings.jwksCacheMaxAgeMs,
      accessTokenTtlMs,
      guardMs: settings.rotationWindowGuardMs,
    },
    {
      store: deps.signingKeys,
      locks: deps.locks,
      clock: deps.clock,
      log: deps.log,
      signer: deps.signer ?? new SealedKeySigner(settings.keyEncryptionKey),
      lockTtlMs: settings.lockTtlMs,
      ...(onRotated ? { onRotated: (reason) => onRotated(definition.id, reason) } : {}),
    },
  );
  return {
    id: definition.id,
    issuer: definition.issuer,
    defaultAudience: definition.audience,
    accessTokenTtlMs,
    refreshTokenTtlMs,
    // Never longer than the access-token lifetime: key retirement and event retention count on it.
    ...(apiKeyTokenTtlMs === undefined ? {} : { apiKeyTokenTtlMs: Math.min(apiKeyTokenTtlMs, accessTokenTtlMs) }),
    alg,
    keys,
    storePolicy: {
      tenantId: definition.id,
      revocationRetentionMs: refreshTokenTtlMs,
      eventRetentionMs: eventRetentionFor(accessTokenTtlMs),
      maxFamiliesPerUser: settings.maxFamiliesPerUser,
    },
  };
}

/** The tenant definitions: the default tenant's and the file's; fails naming a tenant defined twice. */
export async function tenantDefinitions(
  config: Pick<Config, 'issuer' | 'audience' | 'tenantsPath'>,
): Promise<TenantDefinition[]> {
  const { issuer, audience, tenantsPath } = config;
  const definitions = [{ id: issuer, issuer, audience }, ...(tenantsPath ? await loadTenantsFile(tenantsPath) : [])];
  const duplicate = definitions.find((d, i) => definitions.findIndex((o) => o.id === d.id) !== i);
  if (duplicate) throw new Error(`tenant ${duplicate.id} is defined twice (TOKEN_ENGINE_ISSUER and TOKEN_ENGINE_TENANTS_PATH)`);
  return definitions;
}

/**
 * The tenants this process serves: the default tenant (TOKEN_ENGINE_ISSUER is its id and
 * issuer, as upstream) and those of TOKEN_ENGINE_TENANTS_PATH. Loaded at start, reloaded
 * on SIGHUP with the same checks: new tenants are added, dropped ones drained and removed.
 */
export class Tenancy {
  constructor(
    readonly registry: TenantRegistry,
    private readonly config: Pick<Config, 'issuer' | 'audience' | 'tenantsPath'>,
    private readonly make: (definition: TenantDefinition) => Tenant,
    private readonly log: Logger,
  ) {}

  /** Builds, loads the keys of and registers every tenant defined (start-up). */
  async load(definitions: readonly TenantDefinition[]): Promise<void> {
    for (const definition of definitions) await this.add(definition);
  }

  /** Re-reads the definitions: adds new tenants, drains and removes dropped ones; keeps the rest as they are. */
  async reload(): Promise<void> {
    const wanted = await tenantDefinitions(this.config);
    const wantedIds = new Set(wanted.map((d) => d.id));
    for (const definition of wanted) {
      if (this.registry.get(definition.id)) continue;
      await this.add(definition);
      this.log.info({ tenant_id: definition.id }, 'tenant added');
    }
    for (const tenant of this.registry.all()) {
      if (wantedIds.has(tenant.id)) continue;
      this.registry.drain(tenant.id);
      this.registry.remove(tenant.id);
      this.log.info({ tenant_id: tenant.id }, 'tenant removed');
    }
  }

  private async add(definition: TenantDefinition): Promise<void> {
    const tenant = this.make(definition);
    await tenant.keys.load();
    this.registry.add(tenant);
  }
}

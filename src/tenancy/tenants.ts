import type { KeyRing } from '../keys/key-ring.js';
import type { SigningAlg } from '../keys/algorithms.js';
import type { TenantStorePolicy } from '../store/ports.js';

/** One tenant: its issuer, defaults, lifetimes and signing keys. */
export interface Tenant {
  readonly id: string;
  readonly issuer: string;
  /** The audience used when an IssueToken request names none. */
  readonly defaultAudience: string;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  /** Lifetime of tokens minted by ExchangeApiKey (at most `accessTokenTtlMs`); absent: `accessTokenTtlMs`. */
  readonly apiKeyTokenTtlMs?: number | undefined;
  readonly alg: SigningAlg;
  readonly keys: KeyRing;
  readonly storePolicy: TenantStorePolicy;
}

export type RegistryOperation = 'add' | 'drain' | 'remove';

/**
 * The tenants this process serves. A draining tenant answers NOT_FOUND like an unknown
 * one; it must be drained before it can be removed.
 */
export class TenantRegistry {
  private readonly tenants = new Map<string, { tenant: Tenant; draining: boolean }>();

  constructor(private readonly onChange: (op: RegistryOperation, registered: number) => void = () => undefined) {}

  add(tenant: Tenant): void {
    if (this.tenants.has(tenant.id)) throw new Error(`tenant ${tenant.id} is already registered`);
    this.tenants.set(tenant.id, { tenant, draining: false });
    this.onChange('add', this.tenants.size);
  }

  /** Stops serving the tenant: calls for it answer NOT_FOUND from now on. */
  drain(id: string): void {
    const entry = this.tenants.get(id);
    if (!entry) throw new Error(`tenant ${id} not found`);
    entry.draining = true;
    this.onChange('drain', this.tenants.size);
  }

  /** Forgets a drained tenant. */
  remove(id: string): void {
    const entry = this.tenants.get(id);
    if (!entry) throw new Error(`tenant ${id} not found`);
    if (!entry.draining) throw new Error(`tenant ${id} must be drained before removal`);
    this.tenants.delete(id);
    this.onChange('remove', this.tenants.size);
  }

  /** The tenant if it is served (not unknown, not draining). */
  get(id: string): Tenant | undefined {
    const entry = this.tenants.get(id);
    return entry && !entry.draining ? entry.tenant : undefined;
  }

  /** Every served tenant. */
  all(): Tenant[] {
    return [...this.tenants.values()].filter((e) => !e.draining).map((e) => e.tenant);
  }
}

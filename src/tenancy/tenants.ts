import type { KeyRing } from '../keys/key-ring.js';
import type { SigningAlg } from '../keys/key-material.js';
import type { TenantStorePolicy } from '../store/ports.js';

/** One tenant: its issuer, defaults, lifetimes and signing keys. */
export interface Tenant {
  readonly id: string;
  readonly issuer: string;
  /** The audience used when an IssueToken request names none. */
  readonly defaultAudience: string;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly alg: SigningAlg;
  readonly keys: KeyRing;
  readonly storePolicy: TenantStorePolicy;
}

/** The tenants this process serves. An unknown tenant answers NOT_FOUND upstream. */
export class TenantRegistry {
  private readonly tenants = new Map<string, Tenant>();

  add(tenant: Tenant): void {
    if (this.tenants.has(tenant.id)) throw new Error(`tenant ${tenant.id} is already registered`);
    this.tenants.set(tenant.id, tenant);
  }

  get(id: string): Tenant | undefined {
    return this.tenants.get(id);
  }

  all(): Tenant[] {
    return [...this.tenants.values()];
  }
}

import type { SigningKeyStore, StoredSigningKey } from '../ports.js';

/** Signing keys of the embedded store (one process: nothing to share). */
export class MemorySigningKeyStore implements SigningKeyStore {
  private readonly keys = new Map<string, Map<string, StoredSigningKey>>();

  async loadOrCreate(tenantId: string, candidate: StoredSigningKey): Promise<StoredSigningKey[]> {
    const existing = this.tenant(tenantId);
    if (existing.size === 0) existing.set(candidate.kid, candidate);
    return [...existing.values()];
  }

  async list(tenantId: string): Promise<StoredSigningKey[]> {
    return [...this.tenant(tenantId).values()];
  }

  async put(tenantId: string, keys: readonly StoredSigningKey[]): Promise<void> {
    const existing = this.tenant(tenantId);
    for (const k of keys) existing.set(k.kid, k);
  }

  async remove(tenantId: string, kids: readonly string[]): Promise<void> {
    const existing = this.tenant(tenantId);
    for (const kid of kids) existing.delete(kid);
  }

  private tenant(tenantId: string): Map<string, StoredSigningKey> {
    let keys = this.keys.get(tenantId);
    if (!keys) {
      keys = new Map();
      this.keys.set(tenantId, keys);
    }
    return keys;
  }
}

import type { SigningKeyStore, StoredSigningKey } from '../ports.js';

/** Signing keys of the embedded store (one process: nothing to share). */
export class MemorySigningKeyStore implements SigningKeyStore {
  private readonly keys = new Map<string, StoredSigningKey[]>();

  async loadOrCreate(tenantId: string, candidate: StoredSigningKey): Promise<StoredSigningKey[]> {
    const existing = this.keys.get(tenantId);
    if (existing && existing.length > 0) return [...existing];
    this.keys.set(tenantId, [candidate]);
    return [candidate];
  }

  async list(tenantId: string): Promise<StoredSigningKey[]> {
    return [...(this.keys.get(tenantId) ?? [])];
  }
}

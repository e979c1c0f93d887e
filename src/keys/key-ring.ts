import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { SigningKeyStore } from '../store/ports.js';
import { generateSigningKey, openSigningKey, type SigningAlg, type SigningKey } from './key-material.js';

/** What a key ring needs. */
export interface KeyRingDeps {
  readonly store: SigningKeyStore;
  readonly clock: Clock;
  /** Key-encryption key for private keys at rest; undefined stores them in the clear. */
  readonly kek: Buffer | undefined;
}

/**
 * The signing keys of one tenant, held in memory as imported key objects so the request
 * path never reads the store to sign. Keys live in the shared store: every replica
 * signs with and publishes the same key.
 */
export class KeyRing {
  private keys: readonly SigningKey[] = [];
  private signing: SigningKey | undefined;

  constructor(
    readonly tenantId: string,
    private readonly alg: SigningAlg,
    private readonly deps: KeyRingDeps,
  ) {}

  /** Loads the tenant's keys, creating the first one when there is none. */
  async load(): Promise<void> {
    let stored = await this.deps.store.list(this.tenantId);
    if (stored.length === 0) {
      const candidate = await generateSigningKey(this.tenantId, this.alg, this.deps.clock.now(), this.deps.kek);
      stored = await this.deps.store.loadOrCreate(this.tenantId, candidate);
    }
    const opened = await Promise.all(stored.map((k) => openSigningKey(this.tenantId, k, this.deps.kek)));
    opened.sort((a, b) => a.createdAt - b.createdAt);
    this.keys = opened;
    this.signing = opened.at(-1);
  }

  /** The key new tokens are signed with. */
  current(): SigningKey {
    if (!this.signing) throw new DomainError('keys_unavailable', 'signing keys not loaded; retry');
    return this.signing;
  }

  /** The JSON Web Key Set to publish (public parts only). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => ({ ...k.publicJwk })) };
  }

  /** How many keys are published. */
  size(): number {
    return this.keys.length;
  }
}

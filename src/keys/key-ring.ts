import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { LockStore, SigningKeyStore, StoredSigningKey } from '../store/ports.js';
import type { SigningAlg } from './algorithms.js';
import { generateSigningKey, isStoredInClear, openSigningKey, type SigningKey } from './key-material.js';
import { publishedKeys, removableKeys, rotationDue, signingKey, type KeyPolicy } from './schedule.js';

/** What a key ring needs. */
export interface KeyRingDeps {
  readonly store: SigningKeyStore;
  readonly locks: LockStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Key-encryption key for private keys at rest; undefined stores them in the clear. */
  readonly kek: Buffer | undefined;
  /** How long the rotation lock is held at most (TOKEN_ENGINE_LOCK_TTL). */
  readonly lockTtlMs: number;
  /** Called after every rotation this replica performs. */
  readonly onRotated?: (reason: 'scheduled' | 'emergency') => void;
}

type OpenKey = SigningKey & { readonly activatesAt: number; readonly expiresAt?: number | undefined };

/**
 * The signing keys of one tenant (ADR 0003). Keys live in the shared store; each replica
 * holds them imported in memory, so the request path never reads the store to sign, and
 * derives from the same schedule which key signs and which are published.
 */
export class KeyRing {
  private keys: readonly OpenKey[] = [];
  /** Unencrypted keys refused under a KEK (logged once each). */
  private readonly refusedInClear = new Set<string>();

  constructor(
    readonly tenantId: string,
    private readonly alg: SigningAlg,
    private readonly policy: KeyPolicy,
    private readonly deps: KeyRingDeps,
  ) {}

  /** Loads the tenant's keys, creating the first one (signing at once) when there is none. */
  async load(): Promise<void> {
    let stored = await this.deps.store.list(this.tenantId);
    if (stored.length === 0) {
      const now = this.deps.clock.now();
      const first = await generateSigningKey(this.tenantId, this.alg, { createdAt: now, activatesAt: now }, this.deps.kek);
      stored = await this.deps.store.loadOrCreate(this.tenantId, first);
    }
    await this.apply(stored, true);
    if (!signingKey(this.keys, this.deps.clock.now(), this.policy)) {
      // Only unencrypted keys were left (a KEK was just turned on): replace them with a
      // sealed key that signs at once. Tokens of the old keys stop verifying.
      const now = this.deps.clock.now();
      const sealed = await generateSigningKey(this.tenantId, this.alg, { createdAt: now, activatesAt: now }, this.deps.kek);
      await this.deps.store.put(this.tenantId, [sealed]);
      this.deps.log.warn({ tenant_id: this.tenantId, kid: sealed.kid }, 'no usable signing key; created an encrypted one');
      await this.apply(await this.deps.store.list(this.tenantId), true);
    }
  }

  /** Re-reads the shared keys: picks up what another replica rotated. */
  async sync(): Promise<void> {
    await this.apply(await this.deps.store.list(this.tenantId), false);
  }

  /** The key new tokens are signed with. */
  current(): SigningKey {
    const key = signingKey(this.keys, this.deps.clock.now(), this.policy);
    if (!key) throw new DomainError('keys_unavailable', 'no signing key available; retry');
    return key;
  }

  /** The JSON Web Key Set to publish (public parts only). */
  jwks(): { keys: JWK[] } {
    return { keys: publishedKeys(this.keys, this.deps.clock.now(), this.policy).map((k) => ({ ...k.publicJwk })) };
  }

  /** How many keys are published now. */
  size(): number {
    return publishedKeys(this.keys, this.deps.clock.now(), this.policy).length;
  }

  /** Since when the key that signs now has been signing (ms), or undefined when none may sign. */
  signingSince(): number | undefined {
    return signingKey(this.keys, this.deps.clock.now(), this.policy)?.activatesAt;
  }

  /** How often the tenant's key is replaced (TOKEN_ENGINE_KEY_ROTATION_INTERVAL). */
  get rotationIntervalMs(): number {
    return this.policy.rotationIntervalMs;
  }

  /**
   * The periodic job: sync, and when a rotation is due create the successor key under the
   * tenant's rotation lock (one replica does it), and delete keys past their removal time.
   */
  async maintain(): Promise<void> {
    await this.sync();
    const now = this.deps.clock.now();
    if (!rotationDue(this.keys, now, this.policy) && removableKeys(this.keys, now, this.policy).length === 0) return;
    await this.withLock(async () => {
      const stored = await this.deps.store.list(this.tenantId);
      const at = this.deps.clock.now();
      if (rotationDue(stored, at, this.policy)) {
        const next = await generateSigningKey(
          this.tenantId,
          this.alg,
          { createdAt: at, activatesAt: at + this.policy.publishAheadMs },
          this.deps.kek,
        );
        await this.deps.store.put(this.tenantId, [next]);
        this.deps.log.info(
          { tenant_id: this.tenantId, kid: next.kid, activates_at: new Date(next.activatesAt).toISOString() },
          'signing key rotated',
        );
        this.deps.onRotated?.('scheduled');
      }
      const removable = removableKeys(stored, at, this.policy).map((k) => k.kid);
      if (removable.length > 0) {
        await this.deps.store.remove(this.tenantId, removable);
        this.deps.log.info({ tenant_id: this.tenantId, kids: removable }, 'retired signing keys deleted');
      }
    });
    await this.sync();
  }

  /**
   * Emergency rotation (operator command): a new key signs at once; with `retireOthers`
   * every other key is unpublished now, so tokens they signed stop verifying.
   */
  async rotateNow(retireOthers: boolean): Promise<string> {
    let kid = '';
    const done = await this.withLock(async () => {
      const now = this.deps.clock.now();
      const next = await generateSigningKey(this.tenantId, this.alg, { createdAt: now, activatesAt: now }, this.deps.kek);
      const retired = retireOthers
        ? (await this.deps.store.list(this.tenantId)).map(
            (k): StoredSigningKey => ({ ...k, expiresAt: Math.min(k.expiresAt ?? now, now) }),
          )
        : [];
      await this.deps.store.put(this.tenantId, [...retired, next]);
      kid = next.kid;
      this.deps.log.warn({ tenant_id: this.tenantId, kid, retired_others: retireOthers }, 'emergency signing key rotation');
      this.deps.onRotated?.('emergency');
    });
    if (!done) throw new Error(`rotation lock for tenant ${this.tenantId} is held by another replica; retry`);
    await this.sync();
    return kid;
  }

  private async withLock(fn: () => Promise<void>): Promise<boolean> {
    const name = `key-rotation:${this.tenantId}`;
    const owner = await this.deps.locks.acquire(name, this.deps.lockTtlMs);
    if (!owner) return false;
    try {
      await fn();
      return true;
    } finally {
      await this.deps.locks.release(name, owner);
    }
  }

  private async apply(stored: readonly StoredSigningKey[], strict: boolean): Promise<void> {
    const known = new Map(this.keys.map((k) => [k.kid, k]));
    const next: OpenKey[] = [];
    for (const s of stored) {
      if (this.deps.kek && isStoredInClear(s)) {
        if (!this.refusedInClear.has(s.kid)) {
          this.refusedInClear.add(s.kid);
          this.deps.log.error(
            { tenant_id: this.tenantId, kid: s.kid },
            'signing key stored unencrypted while a key-encryption key is set; not used',
          );
        }
        continue;
      }
      const existing = known.get(s.kid);
      if (existing && existing.activatesAt === s.activatesAt && existing.expiresAt === s.expiresAt) {
        next.push(existing);
        continue;
      }
      try {
        const opened = existing ?? (await openSigningKey(this.tenantId, s, this.deps.kek));
        next.push({ ...opened, activatesAt: s.activatesAt, expiresAt: s.expiresAt });
      } catch (err) {
        if (strict) throw err;
        this.deps.log.error(
          { tenant_id: this.tenantId, kid: s.kid, err: (err as Error).message },
          'signing key cannot be opened; skipped',
        );
      }
    }
    this.keys = next;
  }
}

import type { JWK } from 'jose';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { LockStore, SigningKeyStore, StoredSigningKey } from '../store/ports.js';
import type { SigningAlg } from './algorithms.js';
import { publishedKeys, removableKeys, rotationDue, signingKey, type KeyPolicy } from './schedule.js';
import { KeyRefusedError, type Signer, type SigningKey } from './signer.js';

/** What a key ring needs. */
export interface KeyRingDeps {
  readonly store: SigningKeyStore;
  readonly locks: LockStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Holds the private keys and vouches for the stored records (ADR 0005). */
  readonly signer: Signer;
  /** How long the rotation lock is held at most (TOKEN_ENGINE_LOCK_TTL). */
  readonly lockTtlMs: number;
  /** Called after every rotation this replica performs. */
  readonly onRotated?: (reason: 'scheduled' | 'emergency') => void;
}

type OpenKey = SigningKey & {
  readonly activatesAt: number;
  readonly expiresAt?: number | undefined;
  /** The stored record as read, to notice any change to it. */
  readonly record: string;
};

/**
 * The signing keys of one tenant (ADR 0003). Keys live in the shared store; each replica
 * holds them opened in memory, so the request path never reads the store to sign, and
 * derives from the same schedule which key signs and which are published. Only records
 * the signer vouches for (ADR 0005) take part in the schedule.
 */
export class KeyRing {
  private keys: readonly OpenKey[] = [];
  /** Records refused, by kid: the record as refused and when this replica first saw it so. */
  private readonly refused = new Map<string, { record: string; since: number }>();

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
      const first = await this.deps.signer.generate(this.tenantId, this.alg, { createdAt: now, activatesAt: now });
      stored = await this.deps.store.loadOrCreate(this.tenantId, first);
      // Another replica created the tenant's first key at the same moment: ours is not used.
      if (!stored.some((k) => k.kid === first.kid)) await this.deps.signer.retire(this.tenantId, first.kid);
    }
    await this.apply(stored, true);
    if (!signingKey(this.keys, this.deps.clock.now(), this.policy)) {
      // Only refused keys were left (a KEK just turned on, the signer changed, records of an
      // older version): replace them with a key that signs at once. Tokens of the old keys
      // stop verifying.
      const now = this.deps.clock.now();
      const next = await this.deps.signer.generate(this.tenantId, this.alg, { createdAt: now, activatesAt: now });
      await this.deps.store.put(this.tenantId, [next]);
      this.deps.log.warn({ tenant_id: this.tenantId, kid: next.kid }, 'no usable signing key; created a new one');
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
   * tenant's rotation lock (one replica does it), delete keys past their removal time and
   * destroy what the signer holds of them, and prune records refused for long enough.
   */
  async maintain(): Promise<void> {
    await this.sync();
    const now = this.deps.clock.now();
    const prunable = this.prunableRefused(now);
    if (
      !rotationDue(this.keys, now, this.policy) &&
      removableKeys(this.keys, now, this.policy).length === 0 &&
      !prunable.length
    ) {
      return;
    }
    await this.withLock(async () => {
      const stored = await this.trusted(await this.deps.store.list(this.tenantId));
      const at = this.deps.clock.now();
      if (rotationDue(stored, at, this.policy)) {
        const next = await this.deps.signer.generate(this.tenantId, this.alg, {
          createdAt: at,
          activatesAt: at + this.policy.publishAheadMs,
        });
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
        for (const kid of removable) await this.retire(kid);
      }
      if (prunable.length > 0) {
        await this.deps.store.remove(this.tenantId, prunable);
        for (const kid of prunable) this.refused.delete(kid);
        this.deps.log.warn({ tenant_id: this.tenantId, kids: prunable }, 'refused signing-key records deleted');
      }
    });
    await this.sync();
  }

  /**
   * Emergency rotation (operator command): a new key signs at once; with `retireOthers`
   * every other key the signer vouches for is unpublished now, so tokens they signed stop
   * verifying. Records it does not vouch for are left as they are: re-tagging them would
   * launder whatever was written into them.
   */
  async rotateNow(retireOthers: boolean): Promise<string> {
    let kid = '';
    const done = await this.withLock(async () => {
      const now = this.deps.clock.now();
      const next = await this.deps.signer.generate(this.tenantId, this.alg, { createdAt: now, activatesAt: now });
      const retired = retireOthers
        ? await Promise.all(
            (await this.trusted(await this.deps.store.list(this.tenantId))).map((k) =>
              this.deps.signer.tag(this.tenantId, { ...k, expiresAt: Math.min(k.expiresAt ?? now, now) }),
            ),
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

  private async retire(kid: string): Promise<void> {
    try {
      await this.deps.signer.retire(this.tenantId, kid);
    } catch (err) {
      // The record is gone, so nothing signs or publishes with the key any more.
      this.deps.log.error({ tenant_id: this.tenantId, kid, err: (err as Error).message }, 'retired signing key not destroyed');
    }
  }

  /** The records the signer vouches for; the rest never steer a rotation or a deletion. */
  private async trusted(stored: readonly StoredSigningKey[]): Promise<StoredSigningKey[]> {
    const opened = new Set(this.keys.map((k) => k.record));
    const out: StoredSigningKey[] = [];
    for (const s of stored) {
      if (opened.has(JSON.stringify(s))) {
        out.push(s);
        continue;
      }
      try {
        await this.deps.signer.verify(this.tenantId, s);
        out.push(s);
      } catch (err) {
        // A signer that cannot answer now (HSM unreachable) fails this pass; only a
        // verdict on the record refuses it.
        if (!(err instanceof KeyRefusedError)) throw err;
        this.refuse(s, err);
      }
    }
    return out;
  }

  /**
   * Refused records deleted once no token any of them could have signed can still be in
   * use (they may be the previous version's keys during a rolling upgrade), and only
   * while the tenant has a key that signs.
   */
  private prunableRefused(now: number): string[] {
    if (!signingKey(this.keys, now, this.policy)) return [];
    const grace = this.policy.accessTokenTtlMs + this.policy.publishAheadMs;
    return [...this.refused].filter(([, r]) => now - r.since >= grace).map(([kid]) => kid);
  }

  private refuse(stored: StoredSigningKey, err: unknown): void {
    const record = JSON.stringify(stored);
    if (this.refused.get(stored.kid)?.record === record) return;
    const known = this.refused.get(stored.kid);
    this.refused.set(stored.kid, { record, since: known?.since ?? this.deps.clock.now() });
    this.deps.log.error({ tenant_id: this.tenantId, kid: stored.kid, err: (err as Error).message }, 'signing key refused');
  }

  private async apply(stored: readonly StoredSigningKey[], strict: boolean): Promise<void> {
    const known = new Map(this.keys.map((k) => [k.kid, k]));
    const next: OpenKey[] = [];
    const seen = new Set<string>();
    for (const s of stored) {
      seen.add(s.kid);
      const record = JSON.stringify(s);
      const existing = known.get(s.kid);
      if (existing?.record === record) {
        next.push(existing);
        continue;
      }
      try {
        let opened: SigningKey;
        if (existing) {
          // A known key with a new schedule: the material is the same; the record must still check out.
          await this.deps.signer.verify(this.tenantId, s);
          opened = existing;
        } else {
          opened = await this.deps.signer.open(this.tenantId, s);
        }
        next.push({ ...keyOf(opened), activatesAt: s.activatesAt, expiresAt: s.expiresAt, record });
        this.refused.delete(s.kid);
      } catch (err) {
        if (err instanceof KeyRefusedError) {
          this.refuse(s, err);
          continue;
        }
        if (strict) throw err;
        this.deps.log.error(
          { tenant_id: this.tenantId, kid: s.kid, err: (err as Error).message },
          'signing key cannot be opened',
        );
        // The signer cannot answer now (HSM unreachable): keep the key as it was until it can.
        if (existing) next.push(existing);
      }
    }
    for (const kid of this.refused.keys()) if (!seen.has(kid)) this.refused.delete(kid);
    this.keys = next;
  }
}

/** The key part of an opened key, without the schedule fields it was stored with. */
function keyOf(key: SigningKey): SigningKey {
  return { kid: key.kid, alg: key.alg, createdAt: key.createdAt, publicJwk: key.publicJwk, sign: key.sign };
}

/**
 * The signing-key schedule (ADR 0003), as pure functions of the stored keys and the time.
 * Every replica computes the same answers from the same store contents, so they sign
 * with the same key and publish the same JWKS without talking to each other.
 *
 * A key is published from creation, signs from `activatesAt` until its successor
 * activates, and stays published until every token it signed has expired plus one JWKS
 * cache lifetime.
 */
export interface ScheduledKey {
  readonly kid: string;
  readonly createdAt: number;
  readonly activatesAt: number;
  readonly expiresAt?: number | undefined;
}

export interface KeyPolicy {
  /** TOKEN_ENGINE_KEY_ROTATION_INTERVAL: how long a key signs. */
  readonly rotationIntervalMs: number;
  /** TOKEN_ENGINE_JWKS_CACHE_MAX_AGE: how far ahead of signing a key is published. */
  readonly publishAheadMs: number;
  /** The longest access-token lifetime a retired key's tokens can have. */
  readonly accessTokenTtlMs: number;
  /** TOKEN_ENGINE_ROTATION_WINDOW_GUARD: never two new keys closer than this. */
  readonly guardMs: number;
}

/**
 * True for a key that can never sign: it expires no later than it activates. Such a key
 * is only published, for verifiers (a key imported from the Go service).
 */
export function neverSigns(key: ScheduledKey): boolean {
  return key.expiresAt !== undefined && key.expiresAt <= key.activatesAt;
}

/**
 * The times of a key published from `createdAt` until `publishedUntil` that never signs:
 * it activates only when it expires, so {@link signingKey} never picks it, it is nobody's
 * successor, and {@link rotationDue} ignores it.
 */
export function verifyOnlySchedule(
  createdAt: number,
  publishedUntil: number,
): { createdAt: number; activatesAt: number; expiresAt: number } {
  return { createdAt, activatesAt: publishedUntil, expiresAt: publishedUntil };
}

const byActivation = <K extends ScheduledKey>(a: K, b: K): number => a.activatesAt - b.activatesAt || a.createdAt - b.createdAt;

/** When the key is unpublished (and may be deleted). */
export function removalTime<K extends ScheduledKey>(key: K, keys: readonly K[], policy: KeyPolicy): number {
  const successor = keys.filter((k) => k !== key && byActivation(k, key) > 0 && k.expiresAt === undefined).sort(byActivation)[0];
  const scheduled = successor ? successor.activatesAt + policy.accessTokenTtlMs + policy.publishAheadMs : Infinity;
  return Math.min(scheduled, key.expiresAt ?? Infinity);
}

/** The keys to publish at `now`, oldest first. */
export function publishedKeys<K extends ScheduledKey>(keys: readonly K[], now: number, policy: KeyPolicy): K[] {
  return keys.filter((k) => now < removalTime(k, keys, policy)).sort(byActivation);
}

/** The key that signs at `now`: the latest activated among the published ones. */
export function signingKey<K extends ScheduledKey>(keys: readonly K[], now: number, policy: KeyPolicy): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (k.activatesAt > now || (k.expiresAt !== undefined && k.expiresAt <= now)) continue;
    if (!best || byActivation(k, best) > 0) best = k;
  }
  return best && now < removalTime(best, keys, policy) ? best : undefined;
}

/**
 * Whether a new key should be created now: the newest key has signed for
 * `rotationInterval − publishAhead`, no successor is waiting, and the guard has passed.
 * The new key then activates exactly when the interval ends.
 */
export function rotationDue(keys: readonly ScheduledKey[], now: number, policy: KeyPolicy): boolean {
  const live = keys.filter((k) => !neverSigns(k) && (k.expiresAt === undefined || k.expiresAt > now));
  if (live.length === 0) return true;
  const newest = [...live].sort(byActivation).at(-1) as ScheduledKey;
  if (newest.activatesAt > now) return false;
  const newestCreated = Math.max(...live.map((k) => k.createdAt));
  if (now < newestCreated + policy.guardMs) return false;
  return now >= newest.activatesAt + policy.rotationIntervalMs - policy.publishAheadMs;
}

/** Keys past their removal time. */
export function removableKeys<K extends ScheduledKey>(keys: readonly K[], now: number, policy: KeyPolicy): K[] {
  return keys.filter((k) => now >= removalTime(k, keys, policy));
}

/**
 * Per-caller rate limits (doc/OPERATIONS.md, "Rate limits"): each caller identity gets the
 * `rate_limit` of its caller-registry entry, else the default of TOKEN_ENGINE_RATE_LIMIT_*;
 * a rate of 0 means unlimited. The budget is counted per identity, over every tenant and
 * every replica (the store is shared).
 */
import type { RateLimit } from '../store/ports.js';
import type { CallerRegistry } from './caller-registry.js';

/** The slowest limited rate a setting may name (one call in about 17 minutes). */
export const MIN_RATE_PER_SECOND = 0.001;
/** The fastest rate a setting may name. */
export const MAX_RATE_PER_SECOND = 1_000_000;
/** The largest burst a setting may name. */
export const MAX_BURST = 1_000_000;

/** A configured limit: `perSecond` 0 is unlimited (then `burst` means nothing). */
export interface RateLimitSetting {
  readonly perSecond: number;
  readonly burst: number;
}

/** The burst of a setting that names none: one second's worth of calls, at least one. */
export function defaultBurst(perSecond: number): number {
  return Math.max(1, Math.ceil(perSecond));
}

/** The limit each caller is held to. */
export interface RateLimits {
  /** The caller's limit, or undefined when its calls are not limited (no store call then). */
  limitOf(identity: string): RateLimit | undefined;
  /**
   * The caller as a metric label: its identity when configuration names it (a registry
   * entry, or any static-key caller when there is no registry), else `unlisted`, so the
   * label values stay bounded whatever certificates the client CA signs.
   */
  labelOf(identity: string): string;
}

/** Each caller's registry limit, else `fallback` (the TOKEN_ENGINE_RATE_LIMIT_* default). */
export function callerRateLimits(registry: CallerRegistry, fallback: RateLimitSetting): RateLimits {
  const limited = (setting: RateLimitSetting): RateLimit | undefined =>
    setting.perSecond > 0 ? { perSecond: setting.perSecond, burst: setting.burst } : undefined;
  const fallbackLimit = limited(fallback);
  return Object.freeze({
    limitOf: (identity: string): RateLimit | undefined => {
      const own = registry.rateLimitOf(identity);
      return own === undefined ? fallbackLimit : limited(own);
    },
    labelOf: (identity: string): string => (registry.allowsEveryone || registry.lists(identity) ? identity : 'unlisted'),
  });
}

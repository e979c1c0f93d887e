/** Quoting configuration values in messages without echoing anything that may be a credential. */

const MASK = '***';

/**
 * `fragment` (all of `raw`, or a part of it such as one list entry) quoted for a message.
 * Everything up to the last `@` of `raw` may be userinfo (`user:password@host`), so only
 * text that comes after it is shown: `"***@host:6379"`, or `"***"` when nothing is left.
 */
export function quoteMasked(raw: string, fragment: string): string {
  const at = raw.lastIndexOf('@');
  if (at < 0) return JSON.stringify(fragment);
  const visible = fragment.slice(fragment.lastIndexOf('@') + 1);
  const shown = raw.slice(at + 1).includes(visible) ? visible : '';
  return JSON.stringify(fragment.includes('@') ? `${MASK}@${shown}` : shown || MASK);
}

/** How a secret's value is quoted: never. */
export function quoteSecret(): string {
  return JSON.stringify(MASK);
}

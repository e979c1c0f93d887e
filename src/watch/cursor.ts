/**
 * Revocation event cursors: Redis stream ids, `<ms>-<n>`. Kept apart from the feed so the
 * request schema (and the client, which derives its tables from the descriptors) loads
 * none of the server's machinery.
 */

/** A cursor as a client may send it back (`after`). */
export const CURSOR_PATTERN = /^\d{1,20}-\d{1,20}$/;

/** True when cursor `a` comes after cursor `b` (`''` comes before every cursor). */
export function cursorAfter(a: string, b: string): boolean {
  if (b === '') return true;
  const [am = '0', an = '0'] = a.split('-');
  const [bm = '0', bn = '0'] = b.split('-');
  // Up to 20 decimal digits each: compared as big integers, not as doubles.
  const ams = BigInt(am);
  const bms = BigInt(bm);
  return ams > bms || (ams === bms && BigInt(an) > BigInt(bn));
}

/**
 * Go duration syntax (`time.ParseDuration`), so the environment keeps upstream's values:
 * `300ms`, `1.5h`, `1h30m`, `2h45m30.5s`, `-5m`, bare `0`.
 * https://pkg.go.dev/time#ParseDuration
 */

const NS_PER_MS = 1_000_000n;

// Nanoseconds per unit, as in Go; both micro signs are accepted, like Go does.
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

// Go durations are int64 nanoseconds; anything larger is "invalid duration" there too.
const MAX_NS = (1n << 63n) - 1n;

const NUMBER = /^(\d*)(?:\.(\d*))?/;
const UNIT = /^[^\d.]+/;

/**
 * Parses a Go duration string into milliseconds (fractional below 1 ms).
 * Returns undefined when Go's `time.ParseDuration` would return an error.
 */
export function parseDuration(input: string): number | undefined {
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;

  // Integer arithmetic in nanoseconds, like Go, so `1.1s` is exactly 1100 ms.
  let totalNs = 0n;
  while (s !== '') {
    const num = NUMBER.exec(s);
    const intDigits = num?.[1] ?? '';
    const fracDigits = num?.[2] ?? '';
    if (intDigits === '' && fracDigits === '') return undefined;
    s = s.slice(num?.[0].length ?? 0);

    const unitMatch = UNIT.exec(s);
    if (unitMatch === null) return undefined;
    const unitNs = UNIT_NS.get(unitMatch[0]);
    if (unitNs === undefined) return undefined;
    s = s.slice(unitMatch[0].length);

    let partNs = BigInt(intDigits === '' ? '0' : intDigits) * unitNs;
    if (fracDigits !== '') {
      partNs += (BigInt(fracDigits) * unitNs) / 10n ** BigInt(fracDigits.length);
    }
    totalNs += partNs;
    if (totalNs > MAX_NS) return undefined;
  }

  const ms = Number(totalNs / NS_PER_MS) + Number(totalNs % NS_PER_MS) / 1e6;
  return negative && ms !== 0 ? -ms : ms;
}

/** Drops trailing zeros of a fixed-point rendering: `30.500000` → `30.5`, `10.000` → `10`. */
function trimFixed(value: number, digits: number): string {
  return value.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Formats milliseconds as a short Go-style duration for messages (`24h`, `1h30m`,
 * `30.5s`, `300ms`, `0s`). The output is accepted by {@link parseDuration}.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs === 0) return '0s';
  if (abs < 1) {
    const ns = Math.round(abs * 1e6);
    return ns < 1000 ? `${sign}${ns}ns` : `${sign}${trimFixed(ns / 1000, 3)}\u00b5s`;
  }
  if (abs < 1000) return `${sign}${trimFixed(abs, 6)}ms`;

  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = trimFixed((abs % 60_000) / 1000, 9);
  let out = '';
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (seconds !== '0') out += `${seconds}s`;
  return sign + out;
}

/**
 * Value types of secrets: static API keys and the key encryption key. Their problems
 * never quote the value, only say where it is wrong.
 */
import { FrozenMap } from './frozen.js';
import { invalid, ok, type ValueType } from './value-types.js';

/** `key=identity[,key=identity…]`, split at the last `=` of each pair; the last duplicate wins. */
export const callerKeys: ValueType<ReadonlyMap<string, string>> = {
  describe: 'key=identity[,key=identity…]',
  parse(value, ctx) {
    const pairs = value.split(',');
    const keys = new Map<string, string>();
    const problems: string[] = [];
    pairs.forEach((pair, index) => {
      const at = pair.lastIndexOf('=');
      const key = at < 0 ? '' : pair.slice(0, at);
      const identity = at < 0 ? '' : pair.slice(at + 1);
      const defect =
        at < 0 ? "has no '='" : key === '' ? 'has an empty key' : identity === '' ? 'has an empty identity' : undefined;
      if (defect === undefined) keys.set(key, identity);
      else problems.push(`${ctx.name} pair ${index + 1} of ${pairs.length} ${defect}: must be 'key1=identity1,key2=identity2'`);
    });
    return problems.length > 0 ? invalid(...problems) : ok(new FrozenMap(keys));
  },
  format: (keys) => [...keys].map(([key, identity]) => `${key}=${identity}`).join(','),
};

const BASE64_32 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}=?$/;

/** Decodes exactly 32 bytes of canonical base64 or base64url; undefined otherwise. */
function decodeKey32(value: string): Buffer | undefined {
  const encoding = BASE64_32.test(value) ? 'base64' : BASE64URL_32.test(value) ? 'base64url' : undefined;
  if (encoding === undefined) return undefined;
  const bytes = Buffer.from(value, encoding);
  // Rejects non-zero trailing bits, which Buffer.from would silently drop.
  const canonical = bytes.toString(encoding).replace(/=+$/, '');
  return bytes.length === 32 && canonical === value.replace(/=+$/, '') ? bytes : undefined;
}

/** A 32-byte key in base64 or base64url, padded or not. */
export const key32: ValueType<Buffer> = {
  describe: 'base64 (32 bytes)',
  parse(value, ctx) {
    const key = decodeKey32(value);
    if (key !== undefined) return ok(key);
    return invalid(`${ctx.name} must be the base64 encoding of exactly 32 bytes (e.g. \`openssl rand -base64 32\`)`);
  },
  format: (key) => key.toString('base64'),
};

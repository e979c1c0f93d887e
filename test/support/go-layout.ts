import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Cluster, type Redis } from 'ioredis';
import { MAIN } from './service-process.js';

/**
 * Writes a tenant's data exactly as the Go token-engine (jwtauth's RedisRefreshStore and
 * RedisKeyStore) does, for the migrate-from-go tests: the tenant id is the key prefix with
 * no separator; the refresh token itself is in key names and set members.
 */

/** A refresh token as the Go service mints one: 32 random bytes, base64url, 43 characters. */
export function goRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** One Go refresh-token record. */
export interface GoTokenSpec {
  readonly userId: string;
  /** Stored as a JSON array; empty is stored as "" (no audience sets). */
  readonly audiences: readonly string[];
  /** Stored as JSON in `metadata`; undefined is stored as "". */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revoked?: boolean;
  /** False: the hash got no TTL (the Go pipeline's EXPIRE never ran). */
  readonly ttl?: boolean;
}

/** The commands of the Go service's Store pipeline for one token. */
function tokenCommands(tenant: string, raw: string, spec: GoTokenSpec, now: number): (string | number)[][] {
  const key = `${tenant}tokens:${raw}`;
  const commands: (string | number)[][] = [
    [
      'hset',
      key,
      'userID',
      spec.userId,
      'expiresAt',
      String(spec.expiresAt),
      'createdAt',
      String(spec.createdAt),
      'revoked',
      spec.revoked ? 'true' : 'false',
      'metadata',
      spec.claims === undefined ? '' : JSON.stringify(spec.claims),
      'audience',
      spec.audiences.length === 0 ? '' : JSON.stringify(spec.audiences),
    ],
    ['sadd', `${tenant}user_tokens:${spec.userId}`, raw],
  ];
  for (const audience of spec.audiences) {
    commands.push(['sadd', `${tenant}audience_tokens:${audience}`, raw]);
    commands.push(['sadd', `${tenant}audience_user_tokens:${audience}:${spec.userId}`, raw]);
  }
  commands.push(['zadd', `${tenant}token_expiry_index`, spec.expiresAt, raw]);
  if (spec.ttl !== false) commands.push(['expire', key, Math.max(1, Math.floor((spec.expiresAt - now) / 1000))]);
  return commands;
}

/** Writes one Go refresh token with its index entries. */
export async function writeGoToken(redis: Redis | Cluster, tenant: string, raw: string, spec: GoTokenSpec): Promise<void> {
  for (const [name, ...args] of tokenCommands(tenant, raw, spec, Date.now())) await redis.call(name as string, ...args);
}

/**
 * Writes many Go tokens quickly: pipelined on a single node, concurrent (one command per
 * key, routed by slot) on a Cluster.
 */
export async function writeGoTokens(
  redis: Redis | Cluster,
  tenant: string,
  tokens: readonly { raw: string; spec: GoTokenSpec }[],
): Promise<void> {
  const now = Date.now();
  const CHUNK = 1_000;
  for (let at = 0; at < tokens.length; at += CHUNK) {
    const commands = tokens.slice(at, at + CHUNK).flatMap(({ raw, spec }) => tokenCommands(tenant, raw, spec, now));
    if (!(redis instanceof Cluster)) {
      const pipeline = redis.pipeline();
      for (const [name, ...args] of commands) pipeline.call(name as string, ...args);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    } else {
      await Promise.all(commands.map(([name, ...args]) => redis.call(name as string, ...args)));
    }
  }
}

/** A Go signing key: RSA 2048, the PKCS#1 PEM the Go service stores, and the key object. */
export function goSigningKey(): { kid: string; pem: string; privateKey: KeyObject } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { kid: randomUUID(), pem, privateKey };
}

/** Go's zero `time.Time` in JSON: "no expiry". */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * A time as Go's JSON writes it: RFC 3339 with nanoseconds and the process's local
 * offset (here +02:00, so the parser must honour offsets).
 */
export function goTime(ms: number): string {
  const local = new Date(ms + 2 * 60 * 60 * 1000).toISOString().replace('Z', '');
  return `${local}123456+02:00`;
}

/** Writes `ks:pem:<kid>` and `ks:meta:<kid>` as the Go key store does. */
export async function writeGoKey(
  redis: Redis | Cluster,
  tenant: string,
  key: { kid: string; pem: string },
  times: { createdAt: string; expiresAt: string },
): Promise<void> {
  await redis.set(`${tenant}ks:pem:${key.kid}`, key.pem);
  await redis.set(
    `${tenant}ks:meta:${key.kid}`,
    JSON.stringify({ created_at: times.createdAt, expires_at: times.expiresAt, id: key.kid }),
  );
}

/** What a run of the built command printed. */
export interface CommandRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last line of standard output, parsed. */
  readonly counts: Record<string, number | boolean | string>;
}

/** Runs `node dist/main.js migrate-from-go …` with exactly `env` (plus PATH). */
export function runMigrateFromGo(env: Record<string, string>, args: readonly string[], timeoutMs = 120_000): Promise<CommandRun> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (make test does)`);
  const child = spawn(process.execPath, [MAIN, 'migrate-from-go', ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`migrate-from-go did not exit in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trimEnd().split('\n').at(-1) ?? '';
      let counts: Record<string, number | boolean | string> = {};
      try {
        counts = last.startsWith('{') ? (JSON.parse(last) as typeof counts) : {};
      } catch {
        counts = {};
      }
      resolve({ code, stdout, stderr, counts });
    });
  });
}

/**
 * Every key name and every value held by one Redis server, as text: string values, hash
 * fields and values, set, sorted-set and list members, stream entries. What a dump of the
 * server would reveal (DUMP itself may compress values, so it cannot be searched).
 */
export async function everythingStored(redis: Redis): Promise<string[]> {
  const texts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      texts.push(key);
      const type = await redis.type(key);
      if (type === 'string') texts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') texts.push(...Object.entries(await redis.hgetall(key)).flat());
      else if (type === 'set') texts.push(...(await redis.smembers(key)));
      else if (type === 'zset') texts.push(...(await redis.zrange(key, 0, -1)));
      else if (type === 'list') texts.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'stream') texts.push(...(await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]));
      else texts.push(`<${type}>`);
    }
  } while (cursor !== '0');
  return texts;
}

/** Every key of one Redis server with its DUMP serialisation (hex), for byte-for-byte comparisons. */
export async function dumpAll(redis: Redis): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes = await redis.dumpBuffer(key);
      const ttl = await redis.pttl(key);
      // A key with an expiry keeps counting down: compare whether it has one, not the remaining ms.
      dump.set(key, `${bytes?.toString('hex') ?? 'gone'} ttl:${ttl === -1 ? 'none' : 'set'}`);
    }
  } while (cursor !== '0');
  return dump;
}

import type { SigningKeyStore, StoredSigningKey } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { defineScript, stringsReply, unexpectedReply } from './define-script.js';
import { TenantKeys } from './keys.js';
import { LOAD_OR_CREATE_KEY } from './scripts.js';

const loadOrCreateScript = defineScript({
  name: 'load_or_create_key',
  keys: 1,
  lua: LOAD_OR_CREATE_KEY,
  reply: (raw) =>
    stringsReply('load_or_create_key')(raw).map((blob) => {
      if (blob === undefined) throw unexpectedReply('load_or_create_key', raw);
      return parseKey(blob);
    }),
});

/** Signing keys in one Redis hash per tenant (kid → JSON), shared by every replica. */
export class RedisSigningKeyStore implements SigningKeyStore {
  constructor(private readonly redis: RedisClient) {}

  loadOrCreate(tenantId: string, candidate: StoredSigningKey): Promise<StoredSigningKey[]> {
    return loadOrCreateScript(this.redis, [this.hash(tenantId)], [candidate.kid, JSON.stringify(candidate)]);
  }

  async list(tenantId: string): Promise<StoredSigningKey[]> {
    const blobs = await guarded(() => this.redis.hvals(this.hash(tenantId)));
    return blobs.map(parseKey);
  }

  async put(tenantId: string, keys: readonly StoredSigningKey[]): Promise<void> {
    if (keys.length === 0) return;
    const fields = keys.flatMap((k) => [k.kid, JSON.stringify(k)]);
    await guarded(() => this.redis.hset(this.hash(tenantId), ...fields));
  }

  async remove(tenantId: string, kids: readonly string[]): Promise<void> {
    if (kids.length === 0) return;
    await guarded(() => this.redis.hdel(this.hash(tenantId), ...kids));
  }

  private hash(tenantId: string): string {
    return new TenantKeys(tenantId).signingKeys();
  }
}

/** Reads a stored key; keys written before scheduling existed activate at creation. */
function parseKey(blob: string): StoredSigningKey {
  const k = JSON.parse(blob) as StoredSigningKey;
  return {
    kid: k.kid,
    alg: k.alg,
    createdAt: k.createdAt,
    activatesAt: k.activatesAt ?? k.createdAt,
    expiresAt: k.expiresAt,
    sealedPrivateKey: k.sealedPrivateKey,
    publicJwk: k.publicJwk,
    mac: k.mac,
  };
}

import type { SigningKeyStore, StoredSigningKey } from '../ports.js';
import { guarded, type RedisClient } from './client.js';
import { TenantKeys } from './keys.js';
import { LOAD_OR_CREATE_KEY } from './scripts.js';

/** Signing keys in one Redis hash per tenant (kid → JSON), shared by every replica. */
export class RedisSigningKeyStore implements SigningKeyStore {
  constructor(private readonly redis: RedisClient) {
    if (!('teLoadOrCreateKey' in redis)) redis.defineCommand('teLoadOrCreateKey', { numberOfKeys: 1, lua: LOAD_OR_CREATE_KEY });
  }

  async loadOrCreate(tenantId: string, candidate: StoredSigningKey): Promise<StoredSigningKey[]> {
    const run = (this.redis as unknown as { teLoadOrCreateKey: (...a: string[]) => Promise<string[]> }).teLoadOrCreateKey;
    const blobs = await guarded(() =>
      run.call(this.redis, new TenantKeys(tenantId).signingKeys(), candidate.kid, JSON.stringify(candidate)),
    );
    return blobs.map(parseKey);
  }

  async list(tenantId: string): Promise<StoredSigningKey[]> {
    const blobs = await guarded(() => this.redis.hvals(new TenantKeys(tenantId).signingKeys()));
    return blobs.map(parseKey);
  }

}

function parseKey(blob: string): StoredSigningKey {
  const k = JSON.parse(blob) as StoredSigningKey;
  return { kid: k.kid, alg: k.alg, createdAt: k.createdAt, sealedPrivateKey: k.sealedPrivateKey };
}

import { AUDIT_RECORDS_PER_TENANT } from '../store/audit-limit.js';
import { eventRetentionOf, type RevocationAudit, type TenantStorePolicy } from '../store/ports.js';
import { guarded, type RedisClient } from '../store/redis/client.js';
import { defineScript, integerReply, stringsReply, unexpectedReply } from '../store/redis/define-script.js';
import { tenantKeys } from '../store/redis/keys.js';
import {
  API_KEY_AUDIT,
  CREATE_API_KEY,
  LIST_API_KEYS,
  LOOKUP_API_KEY,
  REVOKE_API_KEY,
  TOUCH_API_KEY,
} from '../store/redis/scripts.js';
import { indexMember } from './cursor.js';
import type { ApiKeyInfo, ApiKeyLookup, ApiKeyPage, ApiKeyStore, NewApiKey } from './store.js';

const createScript = defineScript({
  name: 'create_api_key',
  keys: 3,
  lua: CREATE_API_KEY,
  reply: integerReply('create_api_key'),
});
const revokeScript = defineScript({
  name: 'revoke_api_key',
  keys: 3,
  lua: REVOKE_API_KEY,
  reply: integerReply('revoke_api_key'),
});
const touchScript = defineScript({ name: 'touch_api_key', keys: 1, lua: TOUCH_API_KEY, reply: integerReply('touch_api_key') });
const auditScript = defineScript({ name: 'api_key_audit', keys: 1, lua: API_KEY_AUDIT, reply: integerReply('api_key_audit') });
const listScript = defineScript({ name: 'list_api_keys', keys: 1, lua: LIST_API_KEYS, reply: stringsReply('list_api_keys') });

/** Nine fields per key in a LIST_API_KEYS reply: key id, own, nm, clm, aud, cat, exp, lu, st. */
const LISTED_FIELDS = 9;

const lookupScript = defineScript({
  name: 'lookup_api_key',
  keys: 1,
  lua: LOOKUP_API_KEY,
  reply: (raw): { kind: string; fields: (string | undefined)[] } => {
    const [kind, ...fields] = stringsReply('lookup_api_key')(raw);
    if (kind === undefined) throw unexpectedReply('lookup_api_key', raw);
    return { kind, fields };
  },
});

function info(keyId: string, f: readonly (string | undefined)[]): ApiKeyInfo {
  const [owner, name, claims, audiences, createdAt, expiresAt, lastUsedAt, state] = f;
  return {
    keyId,
    owner: owner ?? '',
    name: name ?? '',
    claims: JSON.parse(claims ?? '{}') as Record<string, string>,
    audiences: JSON.parse(audiences ?? '[]') as string[],
    createdAt: Number(createdAt ?? 0),
    expiresAt: Number(expiresAt ?? 0),
    lastUsedAt: Number(lastUsedAt ?? 0),
    revoked: state === 'r',
  };
}

function auditFields(tenantId: string, audit: RevocationAudit): string[] {
  return [tenantId, audit.callerIdentity, audit.tokenRef, audit.target, audit.scope, new Date(audit.occurredAt).toISOString()];
}

/**
 * API keys in Redis, under the tenant's hash tag (store/redis/keys.ts), so that revoking a
 * key can write its marker, its event and its audit record in one script on Cluster too.
 */
export class RedisApiKeyStore implements ApiKeyStore {
  constructor(private readonly redis: RedisClient) {}

  async create(policy: TenantStorePolicy, key: NewApiKey, limit: number, audit: RevocationAudit): Promise<'created' | 'limit'> {
    const k = tenantKeys(policy.tenantId);
    const stored = await createScript(
      this.redis,
      [k.apiKey(key.keyId), k.apiKeyOwner(key.owner), k.apiKeysLive()],
      [
        k.prefix,
        key.keyId,
        key.owner,
        key.name,
        JSON.stringify(key.claims),
        JSON.stringify(key.audiences),
        key.createdAt,
        key.expiresAt,
        key.digest,
        indexMember(key.createdAt, key.keyId),
        limit,
        key.createdAt,
        AUDIT_RECORDS_PER_TENANT,
        ...auditFields(policy.tenantId, audit),
      ],
    );
    return stored === 1 ? 'created' : 'limit';
  }

  async list(policy: TenantStorePolicy, owner: string, cursor: string, limit: number, now: number): Promise<ApiKeyPage> {
    const k = tenantKeys(policy.tenantId);
    const [next, ...rest] = await listScript(this.redis, [k.apiKeyOwner(owner)], [k.prefix, cursor, limit, now]);
    const keys: ApiKeyInfo[] = [];
    for (let i = 0; i + LISTED_FIELDS <= rest.length; i += LISTED_FIELDS) {
      keys.push(info(rest[i] ?? '', rest.slice(i + 1, i + LISTED_FIELDS)));
    }
    return { keys, next: next ?? '' };
  }

  async revoke(policy: TenantStorePolicy, keyId: string, audit: RevocationAudit): Promise<boolean> {
    const k = tenantKeys(policy.tenantId);
    const revoked = await revokeScript(
      this.redis,
      [k.apiKey(keyId), k.apiKeyRevoked(keyId), k.apiKeysLive()],
      [
        k.prefix,
        keyId,
        eventRetentionOf(policy),
        AUDIT_RECORDS_PER_TENANT,
        ...auditFields(policy.tenantId, audit),
        audit.occurredAt,
      ],
    );
    return revoked === 1;
  }

  async lookup(policy: TenantStorePolicy, keyId: string, now: number): Promise<ApiKeyLookup> {
    const k = tenantKeys(policy.tenantId);
    const { kind, fields } = await lookupScript(this.redis, [k.apiKey(keyId)], [k.prefix, now]);
    if (kind === 'unknown' || kind === 'revoked' || kind === 'expired') return { kind };
    if (kind !== 'active') throw unexpectedReply('lookup_api_key', kind);
    const base = info(keyId, [...fields.slice(0, 7), 'a']);
    return { kind, key: { ...base, digest: fields[7] ?? '' }, sequence: Number(fields[8]) };
  }

  async touch(policy: TenantStorePolicy, keyId: string, now: number, coarseMs: number): Promise<void> {
    await touchScript(this.redis, [tenantKeys(policy.tenantId).apiKey(keyId)], [now, coarseMs]);
  }

  async audit(policy: TenantStorePolicy, audit: RevocationAudit): Promise<void> {
    const k = tenantKeys(policy.tenantId);
    await auditScript(this.redis, [k.audit()], [k.prefix, AUDIT_RECORDS_PER_TENANT, ...auditFields(policy.tenantId, audit)]);
  }

  async liveCount(policy: TenantStorePolicy, now: number): Promise<number> {
    const key = tenantKeys(policy.tenantId).apiKeysLive();
    return guarded(() => this.redis.zcount(key, `(${now}`, '+inf'));
  }
}

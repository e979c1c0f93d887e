import * as z from 'zod';
import type { ApiKeyInfo as WireApiKeyInfo } from '../generated/token/v1/ApiKeyInfo.js';
import type { TokenEngineDefinition } from '../generated/token/v1/TokenEngine.js';
import { announceDpopNonce } from '../dpop/verifier.js';
import { audiences, claims, dpopProof, identifier, tenantId } from '../grpc/fields.js';
import { rpcsOf } from '../grpc/rpc.js';
import { isKeyId } from './secret.js';
import type { ApiKeyService } from './service.js';
import type { ApiKeyInfo } from './store.js';

const tokenEngine = rpcsOf<TokenEngineDefinition>('token.v1.TokenEngine');

/** Limits of the API-key requests besides the shared ones (doc/API.md). */
export const API_KEY_LIMITS = {
  nameBytes: 128,
  /** Seconds: 100 years; TOKEN_ENGINE_API_KEY_MAX_LIFETIME may lower it. */
  expiresInSeconds: 100 * 366 * 24 * 3600,
  defaultPageSize: 50,
  maxPageSize: 500,
  /** Far above any secret of this server: longer input is refused unread. */
  apiKeyBytes: 256,
  pageTokenBytes: 256,
} as const;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A key's display name: optional, printable (no control characters), bounded. */
const name = z.string().superRefine((value, ctx) => {
  if (bytes(value) > API_KEY_LIMITS.nameBytes) {
    ctx.addIssue({ code: 'custom', message: `name must be at most ${API_KEY_LIMITS.nameBytes} bytes` });
  } else if (/\p{Cc}/u.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'name must not contain control characters' });
  }
});

const expiresIn = z.number().superRefine((value, ctx) => {
  if (!Number.isSafeInteger(value) || value < 0) {
    ctx.addIssue({ code: 'custom', message: 'expires_in must be a whole number of seconds, 0 or more' });
  } else if (value > API_KEY_LIMITS.expiresInSeconds) {
    ctx.addIssue({ code: 'custom', message: `expires_in must be at most ${API_KEY_LIMITS.expiresInSeconds} seconds` });
  }
});

const pageSize = z.number().superRefine((value, ctx) => {
  if (!Number.isInteger(value) || value < 0 || value > API_KEY_LIMITS.maxPageSize) {
    ctx.addIssue({ code: 'custom', message: `page_size must be between 0 and ${API_KEY_LIMITS.maxPageSize}` });
  }
});

const pageTokenField = z.string().superRefine((value, ctx) => {
  if (bytes(value) > API_KEY_LIMITS.pageTokenBytes) {
    ctx.addIssue({ code: 'custom', message: `page_token must be at most ${API_KEY_LIMITS.pageTokenBytes} bytes` });
  }
});

const keyId = z.string().superRefine((value, ctx) => {
  if (value === '') ctx.addIssue({ code: 'custom', message: 'key_id must not be empty' });
  else if (!isKeyId(value)) ctx.addIssue({ code: 'custom', message: 'key_id is not an API key id' });
});

const apiKey = z.string().superRefine((value, ctx) => {
  if (value === '') ctx.addIssue({ code: 'custom', message: 'api_key must not be empty' });
  else if (bytes(value) > API_KEY_LIMITS.apiKeyBytes) {
    ctx.addIssue({ code: 'custom', message: `api_key must be at most ${API_KEY_LIMITS.apiKeyBytes} bytes` });
  }
});

// Field order matters: the first failing field is the one reported, tenant first.
const CreateApiKeyRequest = z.strictObject({
  tenant_id: tenantId,
  owner: identifier('owner'),
  name,
  claims,
  audiences,
  expires_in: expiresIn,
});
const ListApiKeysRequest = z.strictObject({
  tenant_id: tenantId,
  owner: identifier('owner'),
  page_size: pageSize,
  page_token: pageTokenField,
});
const RevokeApiKeyRequest = z.strictObject({ tenant_id: tenantId, key_id: keyId });
const ExchangeApiKeyRequest = z.strictObject({ tenant_id: tenantId, api_key: apiKey, dpop: dpopProof });

/** Claims in key order: the same map is the same fingerprint however the client ordered it. */
const sortedClaims = (map: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Seconds since the epoch, as ApiKeyInfo carries times (0 stays 0). */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** The wire form of a key's metadata: never a secret or a digest. */
export function wireInfo(info: ApiKeyInfo): WireApiKeyInfo {
  return {
    key_id: info.keyId,
    owner: info.owner,
    name: info.name,
    claims: { ...info.claims },
    audiences: [...info.audiences],
    created_at: seconds(info.createdAt),
    expires_at: seconds(info.expiresAt),
    last_used_at: seconds(info.lastUsedAt),
    revoked: info.revoked,
  };
}

/**
 * CreateApiKey honours idempotency keys: a retried create replays the first answer
 * (secret included, sealed in the idempotency record under the client's key) instead of
 * making a second key.
 */
export const createApiKey = tokenEngine.unary('CreateApiKey', {
  schema: CreateApiKeyRequest,
  idempotency: {
    fingerprint: (m) => [m.tenant_id, m.owner, m.name, sortedClaims(m.claims ?? {}), m.audiences ?? [], String(m.expires_in)],
  },
  handle: async (keys: ApiKeyService, req, call) => {
    const created = await keys.create(
      {
        tenantId: req.tenant_id,
        owner: req.owner,
        name: req.name,
        claims: req.claims,
        audiences: req.audiences,
        expiresIn: req.expires_in,
      },
      call.caller,
    );
    return { api_key: created.secret, info: wireInfo(created.info) };
  },
});

/** A read: safe to repeat. */
export const listApiKeys = tokenEngine.unary('ListApiKeys', {
  schema: ListApiKeysRequest,
  repeatable: true,
  handle: async (keys: ApiKeyService, req) => {
    const size = req.page_size === 0 ? API_KEY_LIMITS.defaultPageSize : req.page_size;
    const page = await keys.list(req.tenant_id, req.owner, req.page_token, size);
    return { keys: page.keys.map(wireInfo), next_page_token: page.next };
  },
});

/** Revoking twice revokes once: clients may repeat it. */
export const revokeApiKey = tokenEngine.unary('RevokeApiKey', {
  schema: RevokeApiKeyRequest,
  repeatable: true,
  handle: async (keys: ApiKeyService, req, call) => {
    await keys.revoke(req.tenant_id, req.key_id, call.caller);
    return {};
  },
});

/**
 * Each exchange mints a new token; repeating one after UNAVAILABLE mints at most one more
 * short-lived token for the same key, which is harmless: repeatable.
 */
export const exchangeApiKey = tokenEngine.unary('ExchangeApiKey', {
  schema: ExchangeApiKeyRequest,
  repeatable: true,
  handle: async (keys: ApiKeyService, req, call) => {
    if (req.dpop) announceDpopNonce(call, keys.dpopNonce());
    const token = await keys.exchange({ tenantId: req.tenant_id, secret: req.api_key, dpop: req.dpop ?? undefined }, call.caller);
    return { access_token: token.accessToken, expires_in: token.expiresIn };
  },
});

/** The API-key RPCs, in the order of the proto. */
export const API_KEY_RPCS = [createApiKey, listApiKeys, revokeApiKey, exchangeApiKey] as const;

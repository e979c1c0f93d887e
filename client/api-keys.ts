/**
 * The client's camelCase shapes of the API-key RPCs and their mapping to the wire
 * messages (src/generated). Times are seconds since the epoch, 0 for "never".
 */
import type { ApiKeyInfo__Output as WireApiKeyInfo } from '../src/generated/token/v1/ApiKeyInfo.js';
import type { CreateApiKeyRequest as WireCreateApiKeyRequest } from '../src/generated/token/v1/CreateApiKeyRequest.js';
import type { CreateApiKeyResponse__Output as WireCreateApiKeyResponse } from '../src/generated/token/v1/CreateApiKeyResponse.js';
import type { ExchangeApiKeyRequest as WireExchangeApiKeyRequest } from '../src/generated/token/v1/ExchangeApiKeyRequest.js';
import type { ExchangeApiKeyResponse__Output as WireExchangeApiKeyResponse } from '../src/generated/token/v1/ExchangeApiKeyResponse.js';
import type { ListApiKeysRequest as WireListApiKeysRequest } from '../src/generated/token/v1/ListApiKeysRequest.js';
import type { ListApiKeysResponse__Output as WireListApiKeysResponse } from '../src/generated/token/v1/ListApiKeysResponse.js';
import type { RevokeApiKeyRequest as WireRevokeApiKeyRequest } from '../src/generated/token/v1/RevokeApiKeyRequest.js';
import type { Claims, DpopProof } from './types.js';

/** CreateApiKey: a key for `owner` (the `sub` of the tokens it mints). */
export interface CreateApiKeyRequest {
  readonly tenantId: string;
  readonly owner: string;
  readonly name?: string;
  /** Copied into every token the key mints. */
  readonly claims?: Claims;
  /** `aud` of the minted tokens; the tenant's default audience when absent or empty. */
  readonly audiences?: readonly string[];
  /** Seconds until the key expires; 0 or absent: never. */
  readonly expiresIn?: number;
}

/** What ListApiKeys shows of a key: never the secret. */
export interface ApiKeyInfo {
  readonly keyId: string;
  readonly owner: string;
  readonly name: string;
  readonly claims: Claims;
  readonly audiences: readonly string[];
  /** Seconds since the epoch. */
  readonly createdAt: number;
  /** Seconds since the epoch; 0 = never. */
  readonly expiresAt: number;
  /** Seconds since the epoch, coarse (a minute); 0 = never used. */
  readonly lastUsedAt: number;
  readonly revoked: boolean;
}

/** A created key: `apiKey` is the secret, returned this once and never again. */
export interface CreatedApiKey {
  readonly apiKey: string;
  readonly info: ApiKeyInfo;
}

/** ListApiKeys: one page of an owner's keys, oldest first. */
export interface ListApiKeysRequest {
  readonly tenantId: string;
  readonly owner: string;
  /** Default 50, at most 500. */
  readonly pageSize?: number;
  /** `nextPageToken` of the previous page. */
  readonly pageToken?: string;
}

/** A page of keys; `nextPageToken` is empty on the last page. */
export interface ApiKeyPage {
  readonly keys: readonly ApiKeyInfo[];
  readonly nextPageToken: string;
}

/** RevokeApiKey: idempotent; the tokens the key minted are revoked too. */
export interface RevokeApiKeyRequest {
  readonly tenantId: string;
  readonly keyId: string;
}

/** ExchangeApiKey: the secret for a short-lived access token. */
export interface ExchangeApiKeyRequest {
  readonly tenantId: string;
  readonly apiKey: string;
  /** A DPoP proof (`createDpopProver`): the minted token is bound to its key. */
  readonly dpop?: DpopProof;
}

/** A minted access token and its remaining seconds; there is no refresh token. */
export interface ExchangedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

export function toWireCreateApiKey(req: CreateApiKeyRequest): WireCreateApiKeyRequest {
  return {
    tenant_id: req.tenantId,
    owner: req.owner,
    name: req.name ?? '',
    claims: { ...(req.claims ?? {}) },
    audiences: [...(req.audiences ?? [])],
    expires_in: req.expiresIn ?? 0,
  };
}

export function fromWireApiKeyInfo(info: WireApiKeyInfo | null): ApiKeyInfo {
  return {
    keyId: info?.key_id ?? '',
    owner: info?.owner ?? '',
    name: info?.name ?? '',
    claims: { ...(info?.claims ?? {}) },
    audiences: [...(info?.audiences ?? [])],
    createdAt: Number(info?.created_at ?? 0),
    expiresAt: Number(info?.expires_at ?? 0),
    lastUsedAt: Number(info?.last_used_at ?? 0),
    revoked: info?.revoked ?? false,
  };
}

export function fromWireCreated(res: WireCreateApiKeyResponse): CreatedApiKey {
  return { apiKey: res.api_key, info: fromWireApiKeyInfo(res.info) };
}

export function toWireListApiKeys(req: ListApiKeysRequest): WireListApiKeysRequest {
  return { tenant_id: req.tenantId, owner: req.owner, page_size: req.pageSize ?? 0, page_token: req.pageToken ?? '' };
}

export function fromWireApiKeyPage(res: WireListApiKeysResponse): ApiKeyPage {
  return { keys: res.keys.map(fromWireApiKeyInfo), nextPageToken: res.next_page_token };
}

export function toWireRevokeApiKey(req: RevokeApiKeyRequest): WireRevokeApiKeyRequest {
  return { tenant_id: req.tenantId, key_id: req.keyId };
}

export function toWireExchangeApiKey(req: ExchangeApiKeyRequest): WireExchangeApiKeyRequest {
  return { tenant_id: req.tenantId, api_key: req.apiKey, ...(req.dpop ? { dpop: { ...req.dpop } } : {}) };
}

export function fromWireExchanged(res: WireExchangeApiKeyResponse): ExchangedToken {
  return { accessToken: res.access_token, expiresIn: Number(res.expires_in) };
}

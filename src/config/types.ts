/**
 * The shape of the validated configuration and the word lists its choices come from. What
 * each value means, its default and how it is read live in the variable table (`variables.ts`).
 */
import type { DpopAlg } from '../dpop/proof.js';
import type { SigningAlg } from '../keys/algorithms.js';
import type { SignerKind } from '../keys/signer.js';

/** The TLS modes: `mtls` with client certificates, `disabled` for plaintext with static API keys. */
export const TLS_MODES = ['mtls', 'disabled'] as const;
/** A TLS mode of {@link TLS_MODES}. */
export type TlsMode = (typeof TLS_MODES)[number];
/** The store implementations app.ts can build. */
export const STORE_KINDS = ['redis', 'memory'] as const;
/** A store of {@link STORE_KINDS}. */
export type StoreKind = (typeof STORE_KINDS)[number];
/** pino level names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A level of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A parsed network address; IPv6 hosts without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One shape for every way of naming Redis (ADDR/PASSWORD/DB or URL). */
export interface RedisConfig {
  /** The URL as given, when TOKEN_ENGINE_REDIS_URL is set (secret: may hold a password). */
  readonly url?: string;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  /** rediss:// */
  readonly tls: boolean;
  readonly clusterNodes?: readonly HostPort[];
  readonly sentinels?: readonly HostPort[];
  readonly sentinelMaster?: string;
  /** ACL user of the Sentinels. */
  readonly sentinelUsername?: string;
  /** Password of the Sentinels (secret). */
  readonly sentinelPassword?: string;
}

/** Certificate files for `mtls`; only presence is checked here. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** The PKCS#11 token that holds the signing keys (TOKEN_ENGINE_SIGNER=pkcs11). */
export interface Pkcs11Config {
  /** Path of the PKCS#11 library (`.so`) of the HSM, cloud HSM or KMS. */
  readonly module: string;
  readonly tokenLabel: string;
  /** The token's user PIN (secret). */
  readonly pin: string;
  /** Logged-in sessions signing at the same time. */
  readonly sessions: number;
}

/**
 * The validated, frozen configuration. Durations are milliseconds. Secret fields
 * (`staticCallerKeys`, `redis.password`, `redis.sentinelPassword`, `redis.url`,
 * `keyEncryptionKey`, `pkcs11.pin`) need redaction wherever the object might be logged;
 * `staticCallerKeys` serialises as `{}`.
 */
export interface Config {
  readonly issuer: string;
  readonly audience: string;
  readonly tlsMode: TlsMode;
  /** API key → caller identity. */
  readonly staticCallerKeys: ReadonlyMap<string, string>;
  /** Present exactly when tlsMode is `mtls`. */
  readonly tls?: TlsFiles;
  readonly callerRegistryPath?: string;
  readonly grpcAddr: HostPort;
  readonly httpAddr: HostPort;
  readonly otlpEndpoint?: string;
  readonly idempotencyTtlMs: number;
  /** Live refresh-token families one user of a tenant may hold (TOKEN_ENGINE_MAX_FAMILIES_PER_USER). */
  readonly maxFamiliesPerUser: number;
  /** How long an idempotent RefreshToken response is replayed (TOKEN_ENGINE_REFRESH_REPLAY_WINDOW). */
  readonly refreshReplayWindowMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly lockTtlMs: number;
  readonly reconciliationIntervalMs: number;
  readonly rotationWindowGuardMs: number;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly keyRotationIntervalMs: number;
  readonly redis: RedisConfig;
  readonly store: StoreKind;
  readonly signingAlg: SigningAlg;
  /** Where private signing keys live: sealed in the shared store, or in a PKCS#11 token. */
  readonly signer: SignerKind;
  /** Present exactly when `signer` is `pkcs11`. */
  readonly pkcs11?: Pkcs11Config;
  /** 32 bytes. A Buffer cannot be frozen: treat it as read-only. */
  readonly keyEncryptionKey?: Buffer;
  readonly tenantsPath?: string;
  readonly logLevel: LogLevel;
  readonly grpcReflection: boolean;
  /** Serve envoy.service.auth.v3.Authorization/Check. */
  readonly extAuthz: boolean;
  /** JWS algorithms a DPoP proof may use. */
  readonly dpopAlgs: readonly DpopAlg[];
  /** How far a DPoP proof's `iat` may be from now, each way. */
  readonly dpopIatWindowMs: number;
  /** Require stateless server nonces in DPoP proofs. */
  readonly dpopNonce: boolean;
  readonly backfillExpiryIndex: boolean;
  readonly workers: number;
  /** Default calls per second per caller; 0 = unlimited. */
  readonly rateLimitPerSecond: number;
  /** Burst of the default rate limit. */
  readonly rateLimitBurst: number;
  /** 32 bytes keying the API-key digests (secret). A Buffer cannot be frozen: treat it as read-only. */
  readonly apiKeyPepper?: Buffer;
  /** Lifetime of tokens minted by ExchangeApiKey (tenants may override). */
  readonly apiKeyTokenTtlMs: number;
  /** Live API keys per owner and tenant. */
  readonly apiKeysPerOwner: number;
  /** Longest API-key lifetime (`expires_in` 0, never expiring, is always accepted). */
  readonly apiKeyMaxLifetimeMs: number;
}

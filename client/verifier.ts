/**
 * A local access-token verifier for resource servers: signatures checked with the
 * tenant's JWKS (cached; fetched again on an unknown `kid`, at most once per interval),
 * revocations applied from the WatchRevocations stream into memory, and no network call
 * per token. When the stream has been down longer than the staleness bound it fails
 * closed (`stale`), or asks ValidateToken when `fallback: 'validate'` is set.
 */
import { type CryptoKey, errors, importJWK, type JWK, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose';
import { createClient, type TlsOptions, type TokenEngineClient } from './client.js';
import { Status, TokenEngineError } from './errors.js';
import type { InactiveReason, RevocationEvent } from './types.js';

/** How long the stream may be down before verify() fails closed, by default. */
export const DEFAULT_STALENESS_MS = 5_000;
/** Clock leeway on `exp` and `nbf`, as ValidateToken allows. */
const LEEWAY_SECONDS = 60;
/** Revocations are kept at least this much longer than the longest token lifetime seen (leeway and clock skew). */
const KEEP_MARGIN_MS = 2 * LEEWAY_SECONDS * 1000;
/** Revocations are kept this long while no token has been seen (the service's default access-token lifetime). */
const DEFAULT_LIFETIME_MS = 15 * 60_000;
/** The service heartbeats every 5 s of silence: a stream silent for this long is taken as dead. */
const SILENCE_MS = 12_000;
const MAX_TOKEN_BYTES = 16 * 1024;
const PRUNE_EVERY_MS = 10_000;

/** Why the verifier refuses a token: ValidateToken's reasons, and `stale` (revocation state not known to be current). */
export type VerifyReason = InactiveReason | 'stale';

/** An active token, as the verifier read it. */
export interface VerifiedToken {
  readonly active: true;
  readonly sub: string;
  readonly audiences: readonly string[];
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  readonly jti: string;
  /** Every claim of the token. */
  readonly payload: Readonly<JWTPayload>;
}

/** What verify() answers: the token, or why it is refused. */
export type VerifyResult = VerifiedToken | { readonly active: false; readonly reason: VerifyReason };

/** Where the service is, which tenant's tokens to accept, and how fresh revocations must be. */
export interface VerifierOptions {
  /** gRPC `host:port` of token-engine (the revocation stream, and the fallback). */
  readonly address: string;
  readonly tenant: string;
  /** When set, tokens must name this audience. */
  readonly audience?: string;
  /** When set, tokens must have this `iss`. */
  readonly issuer?: string;
  /** The tenant's JWKS, e.g. `http://token-engine:8080/tenants/<tenant>/.well-known/jwks.json`. */
  readonly jwksUrl: string | URL;
  /** API key of the resource server (TLS disabled), or … */
  readonly apiKey?: string;
  /** … its client certificate (mTLS). */
  readonly tls?: TlsOptions;
  /** How long the stream may be down before tokens are refused (or asked about remotely). Default 5 s. */
  readonly stalenessMs?: number;
  /** `'validate'`: past the staleness bound, ask ValidateToken per token instead of refusing. */
  readonly fallback?: 'validate';
  /** Least time between two JWKS fetches caused by an unknown `kid` (default 10 s). */
  readonly jwksRefreshMinIntervalMs?: number;
  /** Told about stream and JWKS failures (the verifier retries by itself). */
  readonly onError?: (error: Error) => void;
}

/** What the verifier knows about its own freshness. */
export interface VerifierStatus {
  /** The stream is open and has delivered its backlog. */
  readonly connected: boolean;
  /** verify() would refuse (or fall back) for staleness now. */
  readonly stale: boolean;
  /** The cursor it would resume from. */
  readonly cursor: string;
  /** Revocations held in memory. */
  readonly revocations: number;
}

/** A running verifier. */
export interface TokenVerifier {
  /** Verifies an access token locally (no network call, unless stale with `fallback: 'validate'`). */
  verify(token: string): Promise<VerifyResult>;
  /** Resolves once the JWKS is loaded and the stream has delivered its backlog. */
  ready(): Promise<void>;
  status(): VerifierStatus;
  /** Ends the stream and timers and closes the connection. */
  close(): void;
}

/** A watermark and when it was set (for pruning). */
interface Mark {
  watermark: number;
  at: number;
}

/** A verification key of the JWKS. */
interface VerificationKey {
  readonly alg: string;
  readonly key: CryptoKey;
}

class Refusal extends Error {
  constructor(readonly reason: VerifyReason) {
    super(reason);
  }
}

/**
 * Starts a verifier: fetches the JWKS and opens the revocation stream. `verify` fails
 * closed until both are ready (`await verifier.ready()` first).
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  return new LocalVerifier(options);
}

class LocalVerifier implements TokenVerifier {
  private readonly client: TokenEngineClient;
  private readonly stalenessMs: number;
  private readonly jwksUrl: URL;
  private readonly verifyOptions: JWTVerifyOptions;
  private keys = new Map<string, VerificationKey>();
  private jwksLoaded = false;
  private jwksFetch: Promise<void> | undefined;
  private lastUnknownKidFetch = 0;

  // Revocation state, from the stream.
  private readonly families = new Map<string, number>();
  private readonly apiKeys = new Map<string, number>();
  private readonly users = new Map<string, Mark>();
  private readonly audiences = new Map<string, Mark>();
  private readonly userAudiences = new Map<string, Map<string, Mark>>();
  /** Events recorded before this were pruned: a token issued before it cannot be judged. */
  private prunedBefore = 0;
  private longestLifetimeMs = 0;

  // Stream state.
  private cursor = '';
  private connected = false;
  /** When the stream was last known to be good (it went down at or after this). */
  private downSince: number;
  private lastHeard = 0;
  private caughtUpOnce = false;
  private closed = false;
  private readonly stop = new AbortController();
  private streamAbort: AbortController | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly readyPromise: Promise<void>;
  private markStreamReady: () => void = () => undefined;

  constructor(private readonly options: VerifierOptions) {
    if (!options.tenant) throw new TypeError('tenant is required');
    this.stalenessMs = options.stalenessMs ?? DEFAULT_STALENESS_MS;
    if (!(this.stalenessMs >= 0)) throw new TypeError('stalenessMs must be ≥ 0');
    this.jwksUrl = new URL(options.jwksUrl);
    this.client = options.tls
      ? createClient({ address: options.address, tls: options.tls })
      : createClient({ address: options.address, ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) });
    this.verifyOptions = {
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'sid', 'rsq'],
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    };
    this.downSince = Date.now();
    const streamReady = new Promise<void>((resolve) => {
      this.markStreamReady = resolve;
    });
    this.readyPromise = Promise.all([this.refreshJwks(), streamReady]).then(() => undefined);
    this.readyPromise.catch(() => undefined);
    void this.run();
    const prune = setInterval(() => this.prune(Date.now()), PRUNE_EVERY_MS);
    const watchdog = setInterval(() => this.checkSilence(Date.now()), 1_000);
    prune.unref();
    watchdog.unref();
    this.timers.push(prune, watchdog);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  status(): VerifierStatus {
    let revocations = this.families.size + this.apiKeys.size + this.users.size + this.audiences.size;
    for (const m of this.userAudiences.values()) revocations += m.size;
    return { connected: this.connected, stale: this.isStale(Date.now()), cursor: this.cursor, revocations };
  }

  close(): void {
    this.closed = true;
    this.stop.abort();
    this.streamAbort?.abort();
    for (const t of this.timers) clearInterval(t);
    this.client.close();
  }

  async verify(token: string): Promise<VerifyResult> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_BYTES) {
      return { active: false, reason: 'malformed' };
    }
    if (this.isStale(Date.now())) return this.options.fallback === 'validate' ? this.remote(token) : STALE;
    let payload: JWTPayload;
    try {
      payload = (await jwtVerify(token, this.getKey, this.verifyOptions)).payload;
    } catch (err) {
      if (!(err instanceof Refusal && err.reason === 'unknown_key') || !(await this.refreshForUnknownKid())) {
        return { active: false, reason: reasonOf(err) };
      }
      try {
        payload = (await jwtVerify(token, this.getKey, this.verifyOptions)).payload;
      } catch (retry) {
        return { active: false, reason: reasonOf(retry) };
      }
    }
    return this.judge(payload, token);
  }

  /** The revocation side of a verified token, and its service claims. */
  private async judge(payload: JWTPayload, token: string): Promise<VerifyResult> {
    const { sub, aud, iat, exp, jti } = payload;
    const sid = payload['sid'];
    const rsq = payload['rsq'];
    const akid = payload['akid'];
    const audiences = typeof aud === 'string' ? [aud] : aud;
    if (
      typeof sub !== 'string' ||
      !Array.isArray(audiences) ||
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      typeof sid !== 'string' ||
      typeof rsq !== 'number' ||
      !Number.isSafeInteger(rsq) ||
      rsq < 1
    ) {
      return { active: false, reason: 'malformed' };
    }
    if (payload['cnf'] !== undefined) return { active: false, reason: 'dpop_required' };
    // Revocations recorded before the prune horizon are gone: a token issued before it cannot be judged here.
    if (iat * 1000 < this.prunedBefore) return this.options.fallback === 'validate' ? this.remote(token) : STALE;
    const lifetime = (exp - iat) * 1000;
    if (lifetime > this.longestLifetimeMs) this.longestLifetimeMs = lifetime;

    if (this.families.has(sid)) return REVOKED;
    if (typeof akid === 'string' && this.apiKeys.has(akid)) return REVOKED;
    const user = this.users.get(sub);
    if (user !== undefined && rsq <= user.watermark) return REVOKED;
    const pairs = this.userAudiences.get(sub);
    for (const audience of audiences) {
      const a = this.audiences.get(audience);
      if (a !== undefined && rsq <= a.watermark) return REVOKED;
      const ua = pairs?.get(audience);
      if (ua !== undefined && rsq <= ua.watermark) return REVOKED;
    }
    return {
      active: true,
      sub,
      audiences: audiences as string[],
      issuedAt: iat,
      expiresAt: exp,
      jti: typeof jti === 'string' ? jti : '',
      payload,
    };
  }

  /** jose's key lookup: the tenant's key by `kid`, and only with that key's own algorithm. */
  private readonly getKey = (header: { kid?: string; alg?: string }): CryptoKey => {
    const found = header.kid === undefined ? undefined : this.keys.get(header.kid);
    if (!found) throw new Refusal('unknown_key');
    if (header.alg !== found.alg) throw new Refusal('bad_signature');
    return found.key;
  };

  /** ValidateToken for one token (fallback); any failure to ask is a refusal. */
  private async remote(token: string): Promise<VerifyResult> {
    try {
      const result = await this.client.validateToken({
        tenantId: this.options.tenant,
        accessToken: token,
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      });
      if (!result.active) return result;
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as JWTPayload;
      return {
        active: true,
        sub: result.sub,
        audiences: result.audiences,
        issuedAt: result.issuedAt,
        expiresAt: result.expiresAt,
        jti: result.jti,
        payload,
      };
    } catch (err) {
      this.report(err);
      return STALE;
    }
  }

  private isStale(now: number): boolean {
    if (this.connected) return false;
    if (!this.caughtUpOnce) return true;
    return now - this.downSince > this.stalenessMs;
  }

  // ---- JWKS -------------------------------------------------------------------------

  /** Fetches the JWKS (one fetch at a time); schedules the next fetch from its max-age. */
  private refreshJwks(): Promise<void> {
    this.jwksFetch ??= (async () => {
      try {
        const res = await fetch(this.jwksUrl, { signal: AbortSignal.timeout(5_000) });
        if (!res.ok) throw new Error(`JWKS ${this.jwksUrl.href}: HTTP ${res.status}`);
        const body = (await res.json()) as { keys?: JWK[] };
        const next = new Map<string, VerificationKey>();
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig'))
            continue;
          next.set(jwk.kid, { alg: jwk.alg, key: (await importJWK(jwk, jwk.alg)) as CryptoKey });
        }
        this.keys = next;
        this.jwksLoaded = true;
        this.scheduleJwks(maxAgeMs(res.headers.get('cache-control')));
      } catch (err) {
        this.report(err);
        this.scheduleJwks(5_000);
        if (!this.jwksLoaded) throw err;
      } finally {
        this.jwksFetch = undefined;
      }
    })();
    return this.jwksFetch;
  }

  private scheduleJwks(ms: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => void this.refreshJwks().catch(() => undefined), ms);
    timer.unref();
  }

  /** A fetch for an unknown kid, unless one happened within the minimum interval; true when keys were fetched. */
  private async refreshForUnknownKid(): Promise<boolean> {
    const now = Date.now();
    if (now - this.lastUnknownKidFetch < (this.options.jwksRefreshMinIntervalMs ?? 10_000)) return false;
    this.lastUnknownKidFetch = now;
    try {
      await this.refreshJwks();
      return true;
    } catch {
      return false;
    }
  }

  // ---- Revocation stream ----------------------------------------------------------

  /** Keeps a stream open, resuming from the last cursor, with backoff between attempts. */
  private async run(): Promise<void> {
    let backoffMs = 100;
    while (!this.closed) {
      this.streamAbort = new AbortController();
      try {
        for await (const event of this.client.watchRevocations(
          { tenantId: this.options.tenant, after: this.cursor },
          { signal: this.streamAbort.signal },
        )) {
          this.onEvent(event);
          if (this.connected) backoffMs = 100;
        }
      } catch (err) {
        // The cursor is no longer retained: start again from the service's backlog.
        if (err instanceof TokenEngineError && err.code === Status.FAILED_PRECONDITION) this.cursor = '';
        else this.report(err);
      }
      this.disconnected(Date.now());
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        this.stop.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      backoffMs = Math.min(2_000, backoffMs * 2);
    }
  }

  private onEvent(event: RevocationEvent): void {
    const now = Date.now();
    this.lastHeard = now;
    if (event.cursor !== '') this.cursor = event.cursor;
    if (event.scope === 'heartbeat') {
      // The first heartbeat of a stream follows its backlog: from here the state is current.
      if (!this.connected) {
        this.connected = true;
        this.caughtUpOnce = true;
        this.markStreamReady();
      }
      return;
    }
    this.apply(event);
  }

  /** Applies one revocation: families and keys as sets, watermarks as their highest value. */
  private apply(e: RevocationEvent): void {
    const at = e.revokedAtMs;
    const raise = (map: Map<string, Mark>, id: string): void => {
      const mark = map.get(id);
      if (mark === undefined) map.set(id, { watermark: e.watermark, at });
      else if (e.watermark >= mark.watermark) map.set(id, { watermark: e.watermark, at: Math.max(at, mark.at) });
    };
    switch (e.scope) {
      case 'family':
        this.families.set(e.familyId, at);
        break;
      case 'api_key':
        this.apiKeys.set(e.apiKeyId, at);
        break;
      case 'user':
        raise(this.users, e.userId);
        break;
      case 'audience':
        raise(this.audiences, e.audience);
        break;
      case 'user_audience': {
        let pairs = this.userAudiences.get(e.userId);
        if (!pairs) {
          pairs = new Map();
          this.userAudiences.set(e.userId, pairs);
        }
        raise(pairs, e.audience);
        break;
      }
      default:
        break;
    }
  }

  private disconnected(now: number): void {
    if (this.connected) {
      this.connected = false;
      this.downSince = now;
    }
  }

  /** A stream that has gone silent (no heartbeat) is taken as down from when it was last heard, and reopened. */
  private checkSilence(now: number): void {
    if (!this.connected || now - this.lastHeard < SILENCE_MS) return;
    this.connected = false;
    this.downSince = this.lastHeard;
    this.streamAbort?.abort();
  }

  /** Drops revocations older than every token they could still apply to. */
  private prune(now: number): void {
    const keep = (this.longestLifetimeMs || DEFAULT_LIFETIME_MS) + KEEP_MARGIN_MS;
    const cutoff = now - keep;
    let dropped = false;
    const dropOld = (map: Map<string, number>): void => {
      for (const [id, at] of map) {
        if (at < cutoff) {
          map.delete(id);
          dropped = true;
        }
      }
    };
    const dropOldMarks = (map: Map<string, Mark>): void => {
      for (const [id, mark] of map) {
        if (mark.at < cutoff) {
          map.delete(id);
          dropped = true;
        }
      }
    };
    dropOld(this.families);
    dropOld(this.apiKeys);
    dropOldMarks(this.users);
    dropOldMarks(this.audiences);
    for (const [user, pairs] of this.userAudiences) {
      dropOldMarks(pairs);
      if (pairs.size === 0) this.userAudiences.delete(user);
    }
    if (dropped) this.prunedBefore = Math.max(this.prunedBefore, cutoff);
  }

  private report(err: unknown): void {
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}

const STALE: VerifyResult = Object.freeze({ active: false, reason: 'stale' });
const REVOKED: VerifyResult = Object.freeze({ active: false, reason: 'revoked' });

/** The reason for a verification failure. */
function reasonOf(err: unknown): VerifyReason {
  if (err instanceof Refusal) return err.reason;
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) return 'bad_signature';
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === 'check_failed') {
    if (err.claim === 'nbf' || err.claim === 'iat') return 'not_yet_valid';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'aud') return 'wrong_audience';
  }
  return 'malformed';
}

/** `max-age` of a Cache-Control header in ms, within [10 s, 1 h]; 5 min when absent. */
function maxAgeMs(cacheControl: string | null): number {
  const match = /max-age=(\d+)/.exec(cacheControl ?? '');
  const seconds = match ? Number(match[1]) : 300;
  return Math.min(3_600_000, Math.max(10_000, seconds * 1000));
}

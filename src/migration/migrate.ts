import type { Clock } from '../clock.js';
import { sealPrivateKey } from '../keys/key-material.js';
import type { SealedKeySigner } from '../keys/sealed-signer.js';
import { neverSigns, verifyOnlySchedule } from '../keys/schedule.js';
import type {
  ImportedRefreshToken,
  ImportOutcome,
  SigningKeyStore,
  StoredSigningKey,
  StoredTokenState,
  TokenStore,
} from '../store/ports.js';
import type { Tenant } from '../tenancy/tenants.js';
import { hasRefreshTokenShape, newFamilyId, refreshTokenDigest, tokenRef } from '../tokens/refresh-token.js';
import { GoTenantKeys, parseGoKey, parseGoToken, type GoSigningKey, type GoToken } from './go-layout.js';
import type { GoSource } from './go-source.js';

/** The counters of a run, as the last line of the command prints them. */
export const COUNT_NAMES = [
  'tokens_seen',
  'tokens_migrated',
  'tokens_revoked',
  'tokens_already',
  'tokens_expired',
  'tokens_malformed',
  'keys_seen',
  'keys_imported',
  'keys_extended',
  'keys_already',
  'keys_expired',
  'keys_malformed',
  'keys_conflicting',
  'unrecognised_keys',
  'source_keys_removed',
  'index_entries_removed',
] as const;

/** What a run did, counted. */
export type MigrationCounts = Record<(typeof COUNT_NAMES)[number], number>;

/** Go's access-token lifetime: a jwtauth default the Go service never let anyone change. */
export const GO_ACCESS_TOKEN_TTL_MS = 15 * 60_000;

/** How many problems are named one by one before the rest are only counted. */
const LISTED_PROBLEMS = 20;

/** Where a run reports to (the command writes both to standard error). */
export interface MigrationReport {
  /** Called after every page of keys with the counts so far. */
  progress(counts: Readonly<MigrationCounts>): void;
  /** A problem with one item; never carries a token or key material. */
  warn(message: string): void;
}

/** What a run reads from and writes to. */
export interface GoMigrationDeps {
  readonly source: GoSource;
  readonly tokens: TokenStore;
  readonly signingKeys: SigningKeyStore;
  readonly tenant: Pick<Tenant, 'id' | 'defaultAudience' | 'accessTokenTtlMs' | 'refreshTokenTtlMs' | 'storePolicy'>;
  /** TOKEN_ENGINE_KEY_ENCRYPTION_KEY: imported private keys are sealed under it, as our own are. */
  readonly kek: Buffer | undefined;
  /** Tags and opens the imported records as the service will (the sealed-key signer under the same KEK). */
  readonly signer: SealedKeySigner;
  /** One JWKS cache lifetime: a key stays published this much longer than its tokens live. */
  readonly jwksCacheMaxAgeMs: number;
  readonly clock: Clock;
  readonly report: MigrationReport;
}

/** How a run behaves. */
export interface GoMigrationOptions {
  /** Read everything, write and delete nothing; the counts say what a run would do. */
  readonly dryRun: boolean;
  /** Delete each Go key once its record is written (or it was skipped as expired or malformed). */
  readonly removeSource: boolean;
  /** SCAN COUNT hint: about how many keys one page holds. */
  readonly scanCount?: number;
  /** Tokens per import script call. */
  readonly batchSize?: number;
}

/**
 * Until when a Go signing key must stay published here. A key may have signed tokens
 * until the Go service stopped using it: its `expires_at` when it has one (the Go service
 * stops publishing and verifying with it then), else — the key the Go service signs with —
 * until the Go service stops, which is now at the latest when writes stopped before this
 * run (a later run moves the time on). Tokens signed then live one access-token lifetime
 * (the Go service's 15 minutes, or the tenant's own when longer), and a verifier may hold
 * a cached JWKS for one more cache lifetime.
 */
export function goKeyPublishedUntil(
  key: Pick<GoSigningKey, 'expiresAt'>,
  now: number,
  accessTokenTtlMs: number,
  jwksCacheMaxAgeMs: number,
): number {
  const lastSigned = key.expiresAt === undefined ? now : Math.min(key.expiresAt, now);
  return lastSigned + Math.max(GO_ACCESS_TOKEN_TTL_MS, accessTokenTtlMs) + jwksCacheMaxAgeMs;
}

/** A token read from one page, with what happened to it. */
interface PageToken {
  readonly raw: string;
  readonly token: GoToken;
}

/**
 * One migration of a tenant's Go data into our stores (doc/adr/0004-migration-from-go.md):
 * signing keys first (so our JWKS has them before anything else changes), then refresh
 * tokens page by page, then, with `removeSource`, what the Go layout still lists.
 * Memory holds one SCAN page at a time. A run can be stopped at any point and run again:
 * every write is idempotent, and a source key is deleted only after its record exists.
 */
export class GoMigration {
  private readonly counts: MigrationCounts = Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as MigrationCounts;
  private readonly go: GoTenantKeys;
  private readonly scanCount: number;
  private readonly batchSize: number;
  private listed = 0;

  constructor(
    private readonly deps: GoMigrationDeps,
    private readonly options: GoMigrationOptions,
  ) {
    this.go = new GoTenantKeys(deps.tenant.id);
    this.scanCount = options.scanCount ?? 1_000;
    this.batchSize = options.batchSize ?? 500;
  }

  /** Runs the migration; resolves with the counts. */
  async run(): Promise<MigrationCounts> {
    await this.migrateKeys();
    await this.migrateTokens();
    if (this.removing()) await this.removeLeftovers();
    return { ...this.counts };
  }

  private removing(): boolean {
    return this.options.removeSource && !this.options.dryRun;
  }

  private async migrateKeys(): Promise<void> {
    const { tenant, signingKeys, source, report } = this.deps;
    const ours = new Map((await signingKeys.list(tenant.id)).map((k) => [k.kid, k]));
    for await (const page of source.scan(this.go.keyPemPattern(), this.scanCount)) {
      const now = this.deps.clock.now();
      const toStore: StoredSigningKey[] = [];
      const done: string[] = [];
      for (const name of page) {
        const kid = this.go.kidOf(name);
        const pem = kid === undefined ? undefined : await source.string(name);
        if (kid === undefined || pem === undefined) {
          // Not a Go key of this tenant, or gone since the scan saw it.
          if (kid === undefined) this.counts.unrecognised_keys += 1;
          continue;
        }
        this.counts.keys_seen += 1;
        const key = parseGoKey(kid, pem, await source.string(this.go.keyMeta(kid)));
        if (typeof key === 'string') {
          this.counts.keys_malformed += 1;
          this.problem(`signing key ${kid} skipped: ${key}`);
          done.push(kid);
          continue;
        }
        const until = goKeyPublishedUntil(key, now, tenant.accessTokenTtlMs, this.deps.jwksCacheMaxAgeMs);
        if (until <= now) {
          this.counts.keys_expired += 1;
          done.push(kid);
          continue;
        }
        const existing = ours.get(kid);
        if (existing === undefined) {
          toStore.push(await this.sealed(key, until));
          this.counts.keys_imported += 1;
        } else if (!(await this.sameKey(existing, key))) {
          // A kid of ours that is another key: keep both as they are and say so.
          this.counts.keys_conflicting += 1;
          report.warn(`signing key ${kid} not imported: the tenant already has a different key with this kid`);
          continue;
        } else if (neverSigns(existing) && (existing.expiresAt ?? 0) < until) {
          // Imported before, while the Go service still signed with it: publish it longer.
          toStore.push(await this.sealed(key, until));
          this.counts.keys_extended += 1;
        } else {
          this.counts.keys_already += 1;
        }
        done.push(kid);
      }
      if (!this.options.dryRun && toStore.length > 0) await signingKeys.put(tenant.id, toStore);
      for (const key of toStore) ours.set(key.kid, key);
      if (this.removing() && done.length > 0) {
        this.add('source_keys_removed', await source.delete(done.flatMap((kid) => [this.go.keyPem(kid), this.go.keyMeta(kid)])));
      }
      report.progress(this.counts);
    }
  }

  /** The stored form of a Go key: sealed like our own keys, published until `until`, never signing. */
  private async sealed(key: GoSigningKey, until: number): Promise<StoredSigningKey> {
    const { tenant, kek } = this.deps;
    const stored = await this.deps.signer.tag(tenant.id, {
      kid: key.kid,
      alg: 'RS256',
      ...verifyOnlySchedule(Math.min(key.createdAt, until), until),
      sealedPrivateKey: sealPrivateKey(JSON.stringify(key.privateJwk), tenant.id, key.kid, kek),
    });
    // Proves the record opens the way the service will open it, before anything is written.
    await this.deps.signer.open(tenant.id, stored);
    return stored;
  }

  private async sameKey(stored: StoredSigningKey, key: GoSigningKey): Promise<boolean> {
    const opened = await this.deps.signer.open(this.deps.tenant.id, stored);
    return opened.publicJwk.n === key.privateJwk.n && opened.publicJwk.e === key.privateJwk.e;
  }

  private async migrateTokens(): Promise<void> {
    const { source, report } = this.deps;
    for await (const page of source.scan(this.go.tokenPattern(), this.scanCount)) {
      const named = page.flatMap((key) => {
        const raw = this.go.rawTokenOf(key);
        if (raw === undefined) this.counts.unrecognised_keys += 1;
        return raw === undefined ? [] : [{ key, raw }];
      });
      const reads = await Promise.all(named.map(({ key }) => source.hash(key)));
      const now = this.deps.clock.now();
      const tokens: PageToken[] = [];
      named.forEach(({ raw }, i) => {
        const read = reads[i];
        if (read?.kind === 'other_type') this.counts.unrecognised_keys += 1;
        if (read?.kind !== 'hash') return;
        this.counts.tokens_seen += 1;
        tokens.push({ raw, token: parseGoToken(read.fields, now) });
      });
      await this.importLive(tokens, now);
      for (const { raw, token } of tokens) {
        if (token.kind === 'expired') this.counts.tokens_expired += 1;
        if (token.kind === 'malformed') {
          this.counts.tokens_malformed += 1;
          this.problem(`refresh token ${tokenRef(raw)} skipped: ${token.reason}`);
        }
      }
      if (this.removing() && tokens.length > 0) await this.removeTokens(tokens);
      report.progress(this.counts);
    }
  }

  /** Imports (or, in a dry run, looks up) the page's live tokens, batch by batch. */
  private async importLive(tokens: readonly PageToken[], now: number): Promise<void> {
    const { tenant } = this.deps;
    const live: ImportedRefreshToken[] = [];
    for (const { raw, token } of tokens) {
      if (token.kind !== 'live') continue;
      live.push({
        digest: refreshTokenDigest(raw),
        familyId: newFamilyId(),
        subject: token.subject,
        // The Go service signed tokens of a record without audiences for the tenant's default.
        audiences: token.audiences.length > 0 ? token.audiences : [tenant.defaultAudience],
        claims: token.claims,
        issuedAt: token.issuedAt,
        // Never longer than our own refresh lifetime: revocation markers live that long.
        expiresAt: Math.min(token.expiresAt, now + tenant.refreshTokenTtlMs),
        revoked: token.revoked,
      });
    }
    for (let at = 0; at < live.length; at += this.batchSize) {
      const batch = live.slice(at, at + this.batchSize);
      const outcomes = this.options.dryRun
        ? (
            await this.deps.tokens.tokenStates(
              tenant.storePolicy,
              batch.map((t) => t.digest),
              now,
            )
          ).map((state, i) => predictedOutcome(state, batch[i]?.revoked ?? false))
        : await this.deps.tokens.importTokens(tenant.storePolicy, batch);
      for (const outcome of outcomes) {
        if (outcome === 'imported') this.counts.tokens_migrated += 1;
        else if (outcome === 'already') this.counts.tokens_already += 1;
        else this.counts.tokens_revoked += 1;
      }
    }
  }

  /**
   * Deletes the page's tokens from the Go index sets and the expiry index, then their
   * hashes (last: a run stopped in between finds them again). Members are grouped by set,
   * one command per set.
   */
  private async removeTokens(tokens: readonly PageToken[]): Promise<void> {
    const { source } = this.deps;
    const bySet = new Map<string, string[]>();
    const list = (key: string, raw: string): void => {
      const members = bySet.get(key);
      if (members) members.push(raw);
      else bySet.set(key, [raw]);
    };
    for (const { raw, token } of tokens) {
      const { userId, audiences } = token.index;
      if (userId !== undefined) list(this.go.userIndex(userId), raw);
      for (const audience of new Set(audiences)) {
        list(this.go.audienceIndex(audience), raw);
        if (userId !== undefined) list(this.go.audienceUserIndex(audience, userId), raw);
      }
    }
    const removed = await Promise.all([
      source.removeFromSortedSet(
        this.go.expiryIndex(),
        tokens.map((t) => t.raw),
      ),
      ...[...bySet].map(([key, members]) => source.removeFromSet(key, members)),
    ]);
    for (const n of removed) this.add('index_entries_removed', n);
    this.add('source_keys_removed', await source.delete(tokens.map((t) => this.go.token(t.raw))));
  }

  /**
   * What the Go layout still holds once every token hash is gone: index entries of tokens
   * whose hash expired long ago (the Go service never pruned them) and cached answers of
   * its idempotency store. Both hold raw refresh tokens. An entry whose hash still exists
   * (written by a Go service still running) is kept.
   */
  private async removeLeftovers(): Promise<void> {
    const { source, report } = this.deps;
    const sweep = async (key: string, pages: AsyncGenerator<string[]>, sorted: boolean): Promise<void> => {
      for await (const members of pages) {
        const tokens = members.filter(hasRefreshTokenShape);
        const present = await source.exists(tokens.map((raw) => this.go.token(raw)));
        const stale = tokens.filter((_, i) => !present[i]);
        this.add(
          'index_entries_removed',
          await (sorted ? source.removeFromSortedSet(key, stale) : source.removeFromSet(key, stale)),
        );
      }
    };
    for (const pattern of this.go.indexPatterns()) {
      for await (const page of source.scan(pattern, this.scanCount)) {
        for (const key of page) await sweep(key, source.setMembers(key, this.scanCount), false);
      }
    }
    const expiry = this.go.expiryIndex();
    await sweep(expiry, source.sortedSetMembers(expiry, this.scanCount), true);
    for (const pattern of this.go.idempotencyPatterns()) {
      for await (const page of source.scan(pattern, this.scanCount)) {
        this.add('source_keys_removed', await source.delete(page));
      }
    }
    report.progress(this.counts);
  }

  /**
   * Adds to a counter. Removals run concurrently: `counts.x += await …` would read the
   * counter before the await and lose the other removals' additions.
   */
  private add(name: keyof MigrationCounts, n: number): void {
    this.counts[name] += n;
  }

  private problem(message: string): void {
    this.listed += 1;
    if (this.listed <= LISTED_PROBLEMS) this.deps.report.warn(message);
    else if (this.listed === LISTED_PROBLEMS + 1) this.deps.report.warn('further skipped items are only counted');
  }
}

/** What importing a token would do, from the state of its record (dry runs; mirrors importTokens). */
function predictedOutcome(state: StoredTokenState, revoked: boolean): ImportOutcome {
  if (state === 'absent') return revoked ? 'imported_revoked' : 'imported';
  if (revoked && state !== 'revoked') return 'revoked';
  return 'already';
}

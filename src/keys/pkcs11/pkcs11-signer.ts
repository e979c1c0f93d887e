import { createHash, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { Handle, PKCS11, Template } from 'pkcs11js';
import { signerUnavailable } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { LockStore, StoredSigningKey } from '../../store/ports.js';
import { isSigningAlg, type SigningAlg } from '../algorithms.js';
import { checkTag, type RecordMac, withTag } from '../record-tag.js';
import { type KeySchedule, KeyRefusedError, type Signer, type SigningKey } from '../signer.js';
import { algorithmProfile, keyPairTemplates, publicJwkOf, publicKeyAttributes } from './key-templates.js';
import { acquireModule, type Binding, isPkcs11Error, type LoadedModule, pkcs11js, reload, releaseModule } from './module.js';

/** TOKEN_ENGINE_PKCS11_*: which library, which token, the user PIN and how many sessions. */
export interface Pkcs11Settings {
  readonly module: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly sessions: number;
}

/** What the signer needs besides its settings. */
export interface Pkcs11Deps {
  readonly log: Logger;
  /** Serialises the creation of the record-MAC key between replicas. */
  readonly locks: LockStore;
  readonly lockTtlMs: number;
}

/**
 * A signature that has its session either completes within this or the token is taken
 * for failed: a hung HSM must not hold RPCs past their 1 s promise. Calls queued for a
 * session are answered at that moment too (the failure empties the queue).
 */
export const SIGN_DEADLINE_MS = 800;
/**
 * How long a call may queue for a free session while the token works: a burst beyond
 * the pool waits (load, not failure) but not without bound.
 */
const QUEUE_DEADLINE_MS = 5_000;
/** Bound on the other token calls (key generation, finding keys, destroying them). */
const SLOW_CALL_DEADLINE_MS = 30_000;
/** How often a lost token is tried again. */
export const RECONNECT_INTERVAL_MS = 1_000;
/** Label of the HMAC key (inside the token) that tags the stored key records (ADR 0005). */
export const RECORD_MAC_LABEL = 'token-engine-record-mac';

const MAC_LOCK = 'pkcs11-record-mac';

/** One initialised library, the token's slot, its logged-in sessions and the handles found in them. */
interface Connection {
  readonly generation: number;
  readonly slot: Handle;
  readonly free: Handle[];
  readonly waiters: ((session: Handle | undefined) => void)[];
  readonly macKey: Handle;
  /** Private-key handles by kid: object handles are valid in every session of the connection. */
  readonly keys: Map<string, Handle>;
  /** Calls still running on a pool thread; a library with calls in flight is never finalised. */
  inFlight: number;
}

/** A configuration problem no retry can fix: reconnecting stops (a wrong PIN would lock the token). */
class FatalPkcs11Error extends Error {
  override readonly name = 'FatalPkcs11Error';
}

/**
 * The PKCS#11 signer (TOKEN_ENGINE_SIGNER=pkcs11, ADR 0005): private keys are generated
 * in the token as sensitive, never-extractable objects labelled with their kid, and sign
 * there; the shared store holds only public keys and the schedule, tagged with an HMAC
 * key that also lives in the token. Signatures run on a small pool of logged-in sessions
 * through the binding's asynchronous C_Sign (libuv threads). When the token fails, every
 * signature answers UNAVAILABLE at once and the signer reconnects in the background.
 */
export class Pkcs11Signer implements Signer {
  readonly kind = 'pkcs11';
  private readonly p11: Binding = pkcs11js();
  private conn: Connection | undefined;
  /** Why the signer cannot sign now; undefined while it can. */
  private down: Error | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly mac: RecordMac = (input) => this.hmac(input);

  private constructor(
    private readonly settings: Pkcs11Settings,
    private readonly deps: Pkcs11Deps,
    private readonly module: LoadedModule,
  ) {}

  /** Loads the library, logs in to the token and finds (or creates) the record-MAC key; throws what stops the start. */
  static async connect(settings: Pkcs11Settings, deps: Pkcs11Deps): Promise<Pkcs11Signer> {
    const signer = new Pkcs11Signer(settings, deps, acquireModule(settings.module));
    try {
      signer.conn = await signer.establish();
    } catch (err) {
      releaseModule(signer.module);
      throw err;
    }
    deps.log.info({ token: settings.tokenLabel, sessions: settings.sessions }, 'PKCS#11 token ready');
    return signer;
  }

  private get pkcs11(): PKCS11 {
    return this.module.pkcs11;
  }

  async generate(tenantId: string, alg: SigningAlg, schedule: KeySchedule): Promise<StoredSigningKey> {
    const kid = randomUUID();
    const profile = algorithmProfile(this.p11, alg);
    const { publicKey, privateKey } = keyPairTemplates(this.p11, profile, kid);
    const pair = await this.withSession(SLOW_CALL_DEADLINE_MS, SLOW_CALL_DEADLINE_MS, (session) =>
      this.pkcs11.C_GenerateKeyPairAsync(session, profile.generate, publicKey, privateKey),
    );
    const conn = this.connected();
    conn.keys.set(kid, pair.privateKey);
    const publicJwk = await this.withSession(SLOW_CALL_DEADLINE_MS, SLOW_CALL_DEADLINE_MS, async (session) =>
      publicJwkOf(
        this.p11,
        alg,
        kid,
        this.pkcs11.C_GetAttributeValue(session, pair.publicKey, publicKeyAttributes(this.p11, alg)),
      ),
    );
    this.deps.log.info({ tenant_id: tenantId, kid, alg, token: this.settings.tokenLabel }, 'signing key generated in the token');
    return withTag(tenantId, { kid, alg, ...schedule, publicJwk: jwkRecord(publicJwk) }, this.mac);
  }

  async open(tenantId: string, stored: StoredSigningKey): Promise<SigningKey> {
    const { kid, alg } = stored;
    if (stored.publicJwk === undefined) {
      throw new KeyRefusedError(`signing key ${kid} is a sealed key from the shared store; not used by the PKCS#11 signer`);
    }
    if (!isSigningAlg(alg)) throw new KeyRefusedError(`signing key ${kid} has an unknown algorithm`);
    // The token first: a key missing from it means the wrong token or a deleted key (a
    // configuration problem that stops the start), which a failing tag check would hide.
    const handle = await this.withSession(SLOW_CALL_DEADLINE_MS, SLOW_CALL_DEADLINE_MS, async (session) =>
      this.checkedKey(session, kid, alg, stored.publicJwk ?? {}),
    );
    this.connected().keys.set(kid, handle);
    await checkTag(tenantId, stored, this.mac);
    const profile = algorithmProfile(this.p11, alg);
    const publicJwk: JWK = Object.freeze({ ...stored.publicJwk, kid, alg, use: 'sig' });
    return {
      kid,
      alg,
      createdAt: stored.createdAt,
      publicJwk,
      sign: async (data) => {
        const input = profile.prehash ? createHash('sha256').update(data).digest() : Buffer.from(data);
        return this.signWith(kid, profile.sign, input, profile.signatureLength);
      },
    };
  }

  verify(tenantId: string, stored: StoredSigningKey): Promise<void> {
    return checkTag(tenantId, stored, this.mac);
  }

  tag(tenantId: string, stored: StoredSigningKey): Promise<StoredSigningKey> {
    return withTag(tenantId, stored, this.mac);
  }

  /** Destroys the key pair labelled `kid` in the token (its record is already gone). */
  async retire(tenantId: string, kid: string): Promise<void> {
    const destroyed = await this.withSession(SLOW_CALL_DEADLINE_MS, SLOW_CALL_DEADLINE_MS, async (session) => {
      const objects = this.find(session, [{ type: this.p11.CKA_LABEL, value: kid }]);
      for (const object of objects) this.pkcs11.C_DestroyObject(session, object);
      return objects.length;
    });
    this.conn?.keys.delete(kid);
    this.deps.log.info({ tenant_id: tenantId, kid, objects: destroyed }, 'retired signing key destroyed in the token');
  }

  /** Signs a probe with the record-MAC key: proves the token answers, off the event loop. */
  async health(): Promise<void> {
    try {
      await this.hmac(Buffer.from('token-engine readiness probe'));
    } catch (err) {
      const reason = this.down?.message ?? (err as Error).message;
      throw new Error(`PKCS#11 token ${JSON.stringify(this.settings.tokenLabel)} unavailable: ${reason}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) this.closeSessions(conn);
    releaseModule(this.module);
  }

  // ---- Signing ------------------------------------------------------------------------

  private hmac(input: Buffer): Promise<Buffer> {
    return this.signWith(undefined, { mechanism: this.p11.CKM_SHA256_HMAC }, input, 32);
  }

  /** One signature in the token with the key of `kid` (undefined: the record-MAC key). */
  private async signWith(
    kid: string | undefined,
    mechanism: { mechanism: number },
    data: Buffer,
    length: number,
  ): Promise<Buffer> {
    return this.withSession(QUEUE_DEADLINE_MS, SIGN_DEADLINE_MS, async (session, conn) => {
      const key = kid === undefined ? conn.macKey : conn.keys.get(kid);
      if (key === undefined) throw new Error(`signing key ${kid} is not open in this connection`);
      this.pkcs11.C_SignInit(session, mechanism, key);
      const out = Buffer.alloc(length);
      const signature = await this.pkcs11.C_SignAsync(session, data, out);
      // The native call reads `data` and writes `out` on a pool thread without holding
      // them (pkcs11js issue 121): both stay referenced here until it has returned.
      keepAlive(data, out);
      return Buffer.from(signature);
    });
  }

  /**
   * Runs `fn` on a free session of the pool, queueing for one up to `waitMs` and running
   * within `runMs`. A failure of the token (an error from the library, or no answer in
   * time) marks the signer down (reconnecting in the background) and becomes a
   * `signer_unavailable` DomainError; the session of a call that timed out is never
   * reused. Errors of the checks made on the way (a key refused or missing) pass through.
   */
  private async withSession<T>(waitMs: number, runMs: number, fn: (session: Handle, conn: Connection) => Promise<T>): Promise<T> {
    if (this.down) throw signerUnavailable(this.down);
    const conn = this.connected();
    const session = await this.acquire(conn, Date.now() + waitMs);
    if (session === undefined) throw signerUnavailable(this.down ?? new Error('no PKCS#11 session free in time'));
    const deadline = Date.now() + runMs;
    conn.inFlight += 1;
    let settled = false;
    const run = fn(session, conn).finally(() => {
      settled = true;
      conn.inFlight -= 1;
    });
    try {
      const result = await withTimeout(run, deadline - Date.now());
      this.release(conn, session);
      return result;
    } catch (err) {
      // A session whose call is still running stays out of the pool for good.
      if (settled) this.release(conn, session);
      if (!isTokenFailure(err)) throw err;
      this.fail(conn, err as Error);
      throw signerUnavailable(err);
    }
  }

  private acquire(conn: Connection, deadline: number): Promise<Handle | undefined> {
    const free = conn.free.pop();
    if (free !== undefined) return Promise.resolve(free);
    return new Promise((resolve) => {
      const waiter = (session: Handle | undefined): void => {
        clearTimeout(timer);
        resolve(session);
      };
      const timer = setTimeout(() => {
        conn.waiters.splice(conn.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, deadline - Date.now());
      conn.waiters.push(waiter);
    });
  }

  private release(conn: Connection, session: Handle): void {
    if (this.conn !== conn) return;
    const waiter = conn.waiters.shift();
    if (waiter) waiter(session);
    else conn.free.push(session);
  }

  private connected(): Connection {
    if (this.down || !this.conn) throw signerUnavailable(this.down);
    return this.conn;
  }

  // ---- Failure and recovery -----------------------------------------------------------

  /** The token failed: every caller gets UNAVAILABLE from now on, and reconnecting starts. */
  private fail(conn: Connection, err: Error): void {
    if (this.conn !== conn || this.closed) return;
    this.down = err;
    this.conn = undefined;
    for (const waiter of conn.waiters.splice(0)) waiter(undefined);
    this.deps.log.error({ token: this.settings.tokenLabel, err: err.message }, 'PKCS#11 token failed; signing unavailable');
    this.closeSessions(conn);
    this.scheduleReconnect(conn);
  }

  private scheduleReconnect(previous: Connection): void {
    this.reconnectTimer = setTimeout(() => void this.reconnect(previous), RECONNECT_INTERVAL_MS);
    this.reconnectTimer.unref();
  }

  private async reconnect(previous: Connection): Promise<void> {
    if (this.closed) return;
    try {
      // Only a library with no call left in flight is reloaded: C_Finalize under a running
      // call is undefined behaviour. A library that still has one stays as it is and only
      // new sessions are opened.
      if (previous.inFlight === 0 || !this.module.loaded) reload(this.module, previous.generation);
      const conn = await this.establish();
      const keys = [...previous.keys.keys()];
      const session = conn.free[0];
      if (session !== undefined) {
        for (const kid of keys) {
          const [handle] = this.find(session, [
            { type: this.p11.CKA_CLASS, value: this.p11.CKO_PRIVATE_KEY },
            { type: this.p11.CKA_LABEL, value: kid },
          ]);
          if (handle !== undefined) conn.keys.set(kid, handle);
        }
      }
      if (this.closed) return this.closeSessions(conn);
      this.conn = conn;
      this.down = undefined;
      this.deps.log.info({ token: this.settings.tokenLabel }, 'PKCS#11 token reconnected; signing available');
    } catch (err) {
      this.down = err as Error;
      if (err instanceof FatalPkcs11Error) {
        this.deps.log.error({ token: this.settings.tokenLabel, err: (err as Error).message }, 'PKCS#11 reconnect stopped');
        return;
      }
      this.deps.log.warn(
        { token: this.settings.tokenLabel, err: (err as Error).message },
        'PKCS#11 reconnect failed; will retry',
      );
      this.scheduleReconnect(previous);
    }
  }

  /** Closes the connection's idle sessions one by one: other signers of this process keep theirs. */
  private closeSessions(conn: Connection): void {
    if (conn.generation !== this.module.generation || !this.module.loaded) return;
    for (const session of conn.free.splice(0)) {
      try {
        this.pkcs11.C_CloseSession(session);
      } catch {
        // The token or library is gone already.
      }
    }
  }

  // ---- Connecting ---------------------------------------------------------------------

  /** Finds the token, opens and logs in the sessions, and finds or creates the record-MAC key. */
  private async establish(): Promise<Connection> {
    const { tokenLabel, sessions: size } = this.settings;
    const generation = this.module.generation;
    const slot = this.slotOf(tokenLabel);
    const sessions: Handle[] = [];
    try {
      for (let i = 0; i < size; i++) {
        sessions.push(this.pkcs11.C_OpenSession(slot, this.p11.CKF_SERIAL_SESSION | this.p11.CKF_RW_SESSION));
      }
      this.login(sessions[0] as Handle);
      const macKey = await this.recordMacKey(sessions[0] as Handle);
      return { generation, slot, free: sessions, waiters: [], macKey, keys: new Map(), inFlight: 0 };
    } catch (err) {
      for (const session of sessions) {
        try {
          this.pkcs11.C_CloseSession(session);
        } catch {
          // Gone with the token.
        }
      }
      throw err;
    }
  }

  private slotOf(label: string): Handle {
    const present: string[] = [];
    for (const slot of this.pkcs11.C_GetSlotList(true)) {
      const tokenLabel = this.pkcs11.C_GetTokenInfo(slot).label.trim();
      if (tokenLabel === label) return slot;
      present.push(JSON.stringify(tokenLabel));
    }
    const found = present.length > 0 ? `tokens present: ${present.join(', ')}` : 'no token present';
    throw new Error(
      `no PKCS#11 token labelled ${JSON.stringify(label)} (TOKEN_ENGINE_PKCS11_TOKEN_LABEL) in ${this.settings.module}; ${found}`,
    );
  }

  private login(session: Handle): void {
    try {
      this.pkcs11.C_Login(session, this.p11.CKU_USER, this.settings.pin);
    } catch (err) {
      // The login state belongs to the application, not the session: a sibling signer logged in already.
      if (isPkcs11Error(err, 'CKR_USER_ALREADY_LOGGED_IN')) return;
      const name = (err as Error).message;
      const token = JSON.stringify(this.settings.tokenLabel);
      if (['CKR_PIN_INCORRECT', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE'].includes(name)) {
        throw new FatalPkcs11Error(
          `PKCS#11 login to token ${token} failed (${name}): TOKEN_ENGINE_PKCS11_PIN is not its user PIN`,
        );
      }
      if (['CKR_PIN_LOCKED', 'CKR_USER_PIN_NOT_INITIALIZED'].includes(name)) {
        throw new FatalPkcs11Error(`PKCS#11 login to token ${token} failed (${name}): the token's user PIN cannot be used`);
      }
      throw new Error(`PKCS#11 login to token ${token} failed: ${name}`, { cause: err });
    }
  }

  /**
   * The HMAC key that tags stored records. The first replica to start on a new token
   * creates it, under a lock so that two replicas never create two.
   */
  private async recordMacKey(session: Handle): Promise<Handle> {
    const template: Template = [
      { type: this.p11.CKA_CLASS, value: this.p11.CKO_SECRET_KEY },
      { type: this.p11.CKA_LABEL, value: RECORD_MAC_LABEL },
    ];
    for (let attempt = 0; ; attempt++) {
      const found = this.find(session, template);
      if (found.length > 1) throw new Error(`PKCS#11 token holds ${found.length} keys labelled ${RECORD_MAC_LABEL}; keep one`);
      if (found[0] !== undefined) {
        this.checkNeverExtractable(session, found[0], RECORD_MAC_LABEL);
        return found[0];
      }
      const owner = await this.deps.locks.acquire(MAC_LOCK, this.deps.lockTtlMs);
      if (owner === undefined) {
        if (attempt >= 50) throw new Error(`could not create the PKCS#11 record-MAC key: lock ${MAC_LOCK} stays held`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        if (this.find(session, template).length > 0) continue;
        const key = this.pkcs11.C_GenerateKey(session, { mechanism: this.p11.CKM_GENERIC_SECRET_KEY_GEN }, [
          ...template,
          { type: this.p11.CKA_KEY_TYPE, value: this.p11.CKK_GENERIC_SECRET },
          { type: this.p11.CKA_TOKEN, value: true },
          { type: this.p11.CKA_PRIVATE, value: true },
          { type: this.p11.CKA_SENSITIVE, value: true },
          { type: this.p11.CKA_EXTRACTABLE, value: false },
          { type: this.p11.CKA_SIGN, value: true },
          { type: this.p11.CKA_VERIFY, value: true },
          { type: this.p11.CKA_VALUE_LEN, value: 32 },
        ]);
        this.deps.log.info({ token: this.settings.tokenLabel }, 'record-MAC key created in the token');
        return key;
      } finally {
        await this.deps.locks.release(MAC_LOCK, owner);
      }
    }
  }

  /**
   * The private key labelled `kid`, checked: one object, of the algorithm's key type,
   * sensitive and never extractable, and the public key stored for it is the token's.
   */
  private async checkedKey(
    session: Handle,
    kid: string,
    alg: SigningAlg,
    stored: Readonly<Record<string, string>>,
  ): Promise<Handle> {
    const token = JSON.stringify(this.settings.tokenLabel);
    const privateKeys = this.find(session, [
      { type: this.p11.CKA_CLASS, value: this.p11.CKO_PRIVATE_KEY },
      { type: this.p11.CKA_LABEL, value: kid },
    ]);
    const [handle] = privateKeys;
    if (handle === undefined) {
      throw new Error(
        `signing key ${kid} is not in PKCS#11 token ${token}: is TOKEN_ENGINE_PKCS11_TOKEN_LABEL the token these keys were made in?`,
      );
    }
    if (privateKeys.length > 1)
      throw new Error(`PKCS#11 token ${token} holds ${privateKeys.length} private keys labelled ${kid}`);
    const [keyType] = this.pkcs11.C_GetAttributeValue(session, handle, [{ type: this.p11.CKA_KEY_TYPE }]);
    if (readUlong(keyType?.value) !== algorithmProfile(this.p11, alg).keyType) {
      throw new KeyRefusedError(`signing key ${kid} in token ${token} is not a ${alg} key`);
    }
    this.checkNeverExtractable(session, handle, `signing key ${kid}`);
    const [publicKey] = this.find(session, [
      { type: this.p11.CKA_CLASS, value: this.p11.CKO_PUBLIC_KEY },
      { type: this.p11.CKA_LABEL, value: kid },
    ]);
    if (publicKey !== undefined) {
      const inToken = publicJwkOf(
        this.p11,
        alg,
        kid,
        this.pkcs11.C_GetAttributeValue(session, publicKey, publicKeyAttributes(this.p11, alg)),
      );
      const same = Object.entries(inToken).every(([name, value]) => stored[name] === undefined || stored[name] === value);
      const complete = Object.keys(inToken).every((name) => ['kid', 'alg', 'use'].includes(name) || stored[name] !== undefined);
      if (!same || !complete) throw new KeyRefusedError(`signing key ${kid}: the stored public key is not the token's`);
    }
    return handle;
  }

  /**
   * Refuses a key that can leave the token: it must be sensitive and not extractable now,
   * and have been so since it was made (a key once extractable may have been copied).
   */
  private checkNeverExtractable(session: Handle, handle: Handle, name: string): void {
    const p11 = this.p11;
    const wanted: [number, string, boolean][] = [
      [p11.CKA_SENSITIVE, 'CKA_SENSITIVE', true],
      [p11.CKA_EXTRACTABLE, 'CKA_EXTRACTABLE', false],
      [p11.CKA_ALWAYS_SENSITIVE, 'CKA_ALWAYS_SENSITIVE', true],
      [p11.CKA_NEVER_EXTRACTABLE, 'CKA_NEVER_EXTRACTABLE', true],
    ];
    const values = this.pkcs11.C_GetAttributeValue(
      session,
      handle,
      wanted.map(([type]) => ({ type })),
    );
    const wrong = wanted
      .filter(([, , expected], i) => (values[i]?.value[0] === 1) !== expected)
      .map(([, attribute, expected]) => `${attribute}=${!expected}`);
    if (wrong.length > 0) {
      throw new Error(
        `${name} in PKCS#11 token ${JSON.stringify(this.settings.tokenLabel)} is refused: ${wrong.join(', ')}; ` +
          'only keys generated in the token as sensitive and non-extractable are used',
      );
    }
  }

  private find(session: Handle, template: Template): Handle[] {
    this.pkcs11.C_FindObjectsInit(session, template);
    try {
      return this.pkcs11.C_FindObjects(session, 16);
    } finally {
      this.pkcs11.C_FindObjectsFinal(session);
    }
  }
}

/** The stored form of a public JWK: its string members only. */
function jwkRecord(jwk: JWK): Record<string, string> {
  return Object.fromEntries(Object.entries(jwk).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A CK_ULONG attribute value (little-endian on the platforms Node runs on). */
function readUlong(value: Buffer | undefined): number | undefined {
  if (!value || value.length === 0) return undefined;
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

/** A token call that did not answer in time. */
class Pkcs11TimeoutError extends Error {
  override readonly name = 'Pkcs11TimeoutError';
}

/** Errors of the library (pkcs11js raises these two) and timeouts; not the checks made on the way. */
function isTokenFailure(err: unknown): boolean {
  return err instanceof Error && ['Pkcs11Error', 'NativeError', 'Pkcs11TimeoutError'].includes(err.name);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Pkcs11TimeoutError(`PKCS#11 call did not finish within ${ms} ms`)), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Keeps buffers reachable until this point (see signWith). */
function keepAlive(..._buffers: Buffer[]): void {}

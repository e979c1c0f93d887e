import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { signerUnavailable } from '../../../src/errors.js';
import { KeyRing } from '../../../src/keys/key-ring.js';
import { SealedKeySigner } from '../../../src/keys/sealed-signer.js';
import type { Signer } from '../../../src/keys/signer.js';
import { createLogger } from '../../../src/observability/logger.js';
import { MemoryLockStore } from '../../../src/store/memory/lock-store.js';
import { MemorySigningKeyStore } from '../../../src/store/memory/signing-key-store.js';

const MIN = 60_000;
const TENANT = 'tenant-a';
const POLICY = { rotationIntervalMs: 60 * MIN, publishAheadMs: 5 * MIN, accessTokenTtlMs: 15 * MIN, guardMs: MIN };

/** The sealed-key signer, made to answer "unavailable" (as an unreachable HSM does) on demand. */
class FlakySigner extends SealedKeySigner implements Signer {
  down = false;
  readonly retired: string[] = [];
  override async verify(tenantId: string, stored: Parameters<Signer['verify']>[1]): Promise<void> {
    if (this.down) throw signerUnavailable();
    return super.verify(tenantId, stored);
  }
  override async retire(_tenantId: string, kid: string): Promise<void> {
    this.retired.push(kid);
  }
}

function ring(signer: Signer, clock: ManualClock, store = new MemorySigningKeyStore()): KeyRing {
  return new KeyRing(TENANT, 'ES256', POLICY, {
    store,
    locks: new MemoryLockStore(clock),
    clock,
    log: createLogger('silent'),
    signer,
    lockTtlMs: 30_000,
  });
}

describe('KeyRing with a signer that cannot answer for a while', () => {
  it('keeps its keys and refuses nothing; the next pass after recovery sees the change', async () => {
    const clock = new ManualClock();
    const store = new MemorySigningKeyStore();
    const signer = new FlakySigner(randomBytes(32));
    const keys = ring(signer, clock, store);
    await keys.load();
    const [first] = keys.jwks().keys.map((k) => k.kid);

    // Another replica retires the key (a re-tagged record) while this one's signer is down.
    const [record] = await store.list(TENANT);
    if (!record) throw new Error('no record');
    await store.put(TENANT, [await signer.tag(TENANT, { ...record, expiresAt: clock.now() + MIN })]);
    signer.down = true;
    await keys.sync();
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([first]);
    clock.advance(30 * MIN);
    await keys.maintain();
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([first]);
    expect(await store.list(TENANT)).toHaveLength(1);
    expect(signer.retired).toEqual([]);

    signer.down = false;
    await keys.maintain();
    // The retirement took effect: the old key is gone and destroyed by the signer; its
    // successor is published now and signs one publish-ahead later.
    const [next] = keys.jwks().keys.map((k) => k.kid);
    expect(next).not.toBe(first);
    expect(signer.retired).toEqual([first]);
    clock.advance(POLICY.publishAheadMs);
    expect(keys.current().kid).toBe(next);
  });
});

describe('KeyRing retirement', () => {
  it('destroys what the signer holds of a key once its record is deleted, and not before', async () => {
    const clock = new ManualClock();
    const signer = new FlakySigner(randomBytes(32));
    const keys = ring(signer, clock);
    await keys.load();
    const [first] = keys.jwks().keys.map((k) => k.kid);
    clock.advance(55 * MIN);
    await keys.maintain();
    expect(keys.jwks().keys).toHaveLength(2);
    clock.advance(5 * MIN + 15 * MIN + 5 * MIN - 1);
    await keys.maintain();
    expect(signer.retired).toEqual([]);
    clock.advance(1);
    await keys.maintain();
    expect(signer.retired).toEqual([first]);
    expect(keys.jwks().keys.map((k) => k.kid)).not.toContain(first);
  });
});

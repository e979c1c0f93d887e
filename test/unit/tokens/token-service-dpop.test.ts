/**
 * TokenService with DPoP over the memory store: a refused proof makes no store call at
 * all (so it can neither consume a refresh token nor trip reuse detection, even on a token
 * already rotated), and the family's key is compared against what the store keeps.
 */
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { DpopVerifier } from '../../../src/dpop/verifier.js';
import { isDomainError } from '../../../src/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { MemoryDpopReplayStore } from '../../../src/store/memory/dpop-replay-store.js';
import { MemoryLockStore } from '../../../src/store/memory/lock-store.js';
import { MemorySigningKeyStore } from '../../../src/store/memory/signing-key-store.js';
import { MemoryTokenStore } from '../../../src/store/memory/token-store.js';
import type { TokenStore } from '../../../src/store/ports.js';
import { buildTenant } from '../../../src/tenancy/tenancy.js';
import { TenantRegistry } from '../../../src/tenancy/tenants.js';
import { TokenService } from '../../../src/tokens/token-service.js';
import { makeProof, type ProofKey, proofKey } from '../../support/dpop.js';
import { counting } from '../../support/counting.js';

const TENANT = 'tenant-a';
const HTM = 'POST';
const HTU = 'https://as.example/token';

let key: ProofKey;
let other: ProofKey;
beforeAll(async () => {
  [key, other] = await Promise.all([proofKey('ES256'), proofKey('ES256')]);
});

async function fixture() {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const memory = new MemoryTokenStore(clock);
  const { store, calls } = counting<TokenStore>(memory);
  const tenant = buildTenant(
    { id: TENANT, issuer: 'https://auth.example', audience: 'api' },
    {
      accessTokenTtlMs: 900_000,
      refreshTokenTtlMs: 86_400_000,
      signingAlg: 'ES256',
      keyRotationIntervalMs: 30 * 86_400_000,
      jwksCacheMaxAgeMs: 300_000,
      rotationWindowGuardMs: 60_000,
      keyEncryptionKey: undefined,
      lockTtlMs: 30_000,
    },
    { signingKeys: new MemorySigningKeyStore(), locks: new MemoryLockStore(clock), clock, log: createLogger('silent') },
  );
  await tenant.keys.load();
  const tenants = new TenantRegistry();
  tenants.add(tenant);
  const dpop = new DpopVerifier({
    policy: { algorithms: ['ES256'], iatWindowMs: 60_000 },
    replay: new MemoryDpopReplayStore(clock),
    clock,
  });
  const service = new TokenService({ tenants, store, clock, log: createLogger('silent'), dpop });
  const proof = async (k = key, claims: Record<string, unknown> = {}) => ({
    proof: await makeProof({ key: k, htm: HTM, htu: HTU, iat: Math.floor(clock.now() / 1000), claims }),
    htm: HTM,
    htu: HTU,
  });
  return { clock, calls, service, proof, memory, tenants };
}

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (err: unknown) => (isDomainError(err) ? err.code : String(err)),
  );

describe('TokenService with DPoP', () => {
  it('binds the pair and refuses a bad proof without any store call, even for a rotated token', async () => {
    const f = await fixture();
    const pair = await f.service.issue({ tenantId: TENANT, subject: 'alice', audiences: [], claims: {}, dpop: await f.proof() });
    expect(decodeJwt(pair.accessToken)['cnf']).toEqual({ jkt: key.jkt });
    const next = await f.service.refresh({
      tenantId: TENANT,
      refreshToken: pair.refreshToken,
      claims: {},
      dpop: await f.proof(),
    });

    // The first token is consumed now: presenting it would be reuse. A bad proof never gets that far.
    f.calls.length = 0;
    const bad = f.service.refresh({
      tenantId: TENANT,
      refreshToken: pair.refreshToken,
      claims: {},
      dpop: await f.proof(key, { htm: 'GET' }),
    });
    expect(await codeOf(bad)).toBe('dpop_proof_invalid');
    expect(f.calls).toEqual([]);
    // The family is intact: its live token still rotates.
    const after = f.service.refresh({ tenantId: TENANT, refreshToken: next.refreshToken, claims: {}, dpop: await f.proof() });
    expect(await codeOf(after)).toBe('ok');
  });

  it('compares the family key before rotating: none or another key leaves the token usable', async () => {
    const f = await fixture();
    const pair = await f.service.issue({ tenantId: TENANT, subject: 'bob', audiences: [], claims: {}, dpop: await f.proof() });
    f.calls.length = 0;
    expect(await codeOf(f.service.refresh({ tenantId: TENANT, refreshToken: pair.refreshToken, claims: {} }))).toBe(
      'dpop_proof_required',
    );
    expect(
      await codeOf(
        f.service.refresh({ tenantId: TENANT, refreshToken: pair.refreshToken, claims: {}, dpop: await f.proof(other) }),
      ),
    ).toBe('dpop_key_mismatch');
    expect(f.calls).not.toContain('rotate');
    const good = await f.service.refresh({
      tenantId: TENANT,
      refreshToken: pair.refreshToken,
      claims: {},
      dpop: await f.proof(),
    });
    expect(decodeJwt(good.accessToken)['cnf']).toEqual({ jkt: key.jkt });
  });

  it('without a verifier, a request with a proof is refused before anything is stored', async () => {
    const f = await fixture();
    const clock = new ManualClock();
    const bare = new TokenService({
      tenants: f.tenants,
      store: new MemoryTokenStore(clock),
      clock,
      log: createLogger('silent'),
    });
    expect(await codeOf(bare.issue({ tenantId: TENANT, subject: 'c', audiences: [], claims: {}, dpop: await f.proof() }))).toBe(
      'dpop_proof_invalid',
    );
  });
});

import { expect, it } from 'vitest';
import type { TenantStorePolicy } from '../../src/store/ports.js';
import { mintRefreshToken } from '../../src/tokens/refresh-token.js';
import { describeStoreTargets, newTokenFamily } from '../support/stores.js';

const DAY = 86_400_000;
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

// A DPoP-bound family's thumbprint, on every store target: kept by every token of the
// family, copied by the rotation from the consumed record and never taken from the caller.
describeStoreTargets('TokenStore (DPoP binding)', (_backend, stores) => {
  const setup = () => {
    const s = stores();
    const policy: TenantStorePolicy = { tenantId: s.tenant(), revocationRetentionMs: 30 * DAY };
    const successor = () => ({ ...newTokenFamily(s.now(), DAY, 'ignored', []), digest: mintRefreshToken().digest });
    return { s, policy, successor };
  };

  it('a bound family answers its thumbprint through every rotation', async () => {
    const { s, policy, successor } = setup();
    const first = { ...newTokenFamily(s.now(), DAY, 'alice', ['api']), jkt: JKT };
    await s.tokens.issue(policy, first);
    const presented = await s.tokens.presentForRotation(policy, first.digest, s.now());
    expect(presented).toMatchObject({ kind: 'active', token: { subject: 'alice', jkt: JKT } });
    // The caller's successor names another thumbprint: the store keeps the family's.
    const next = { ...successor(), jkt: 'another-thumbprint' };
    expect(await s.tokens.rotate(policy, first.digest, next, s.now())).toEqual({ kind: 'rotated' });
    expect(await s.tokens.presentForRotation(policy, next.digest, s.now())).toMatchObject({
      kind: 'active',
      token: { jkt: JKT },
    });
    expect(await s.tokens.present(policy, next.digest, s.now())).toMatchObject({ kind: 'active', token: { jkt: JKT } });
  });

  it('an unbound family answers no thumbprint, and a rotation cannot bind it', async () => {
    const { s, policy, successor } = setup();
    const first = newTokenFamily(s.now(), DAY, 'bob', ['api']);
    await s.tokens.issue(policy, first);
    const presented = await s.tokens.presentForRotation(policy, first.digest, s.now());
    expect(presented.kind).toBe('active');
    if (presented.kind === 'active') expect(presented.token.jkt).toBeUndefined();
    const next = { ...successor(), jkt: JKT };
    await s.tokens.rotate(policy, first.digest, next, s.now());
    const after = await s.tokens.presentForRotation(policy, next.digest, s.now());
    expect(after.kind).toBe('active');
    if (after.kind === 'active') expect(after.token.jkt).toBeUndefined();
  });
});

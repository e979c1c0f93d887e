import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { uniquePrefix } from '../support/redis.js';

// /healthz/ready needs no credentials: a failing check says what failed and for how many
// tenants, never which tenants (their ids are the operator's business, and the log line
// names them).

let t: TestApp;
let dir: string;
const second = uniquePrefix('ready-second');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'readiness-'));
  const tenantsFile = join(dir, 'tenants.yaml');
  await writeFile(
    tenantsFile,
    `version: 1\ntenants:\n  - id: ${second}\n    issuer: https://${second}.example\n    audience: api\n`,
  );
  t = await startTestApp({ TOKEN_ENGINE_TENANTS_PATH: tenantsFile }, uniquePrefix('ready-first'));
});
afterAll(async () => {
  await t.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('readiness reasons', () => {
  it('count the tenants without a signing key instead of naming them; the log names them', async () => {
    expect((await fetch(`${t.httpBase}/healthz/ready`)).status).toBe(200);
    // Every key of both tenants retired by hand: their successors are published ahead of use.
    const now = Date.now();
    for (const tenantId of [t.tenantId, second]) {
      const keys = await t.app.stores.signingKeys.list(tenantId);
      await t.app.stores.signingKeys.put(
        tenantId,
        keys.map((k) => ({ ...k, expiresAt: now })),
      );
    }
    await t.app.keyMaintenance.tick();

    const res = await fetch(`${t.httpBase}/healthz/ready`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      status: 'unavailable',
      failed_check: 'key_availability',
      reason: 'no signing key available for 2 tenants',
    });
    for (const id of [t.tenantId, second]) expect(body).not.toContain(id);
    const logged = t.logs.filter((l) => l['msg'] === 'not ready').at(-1);
    expect(logged).toMatchObject({ failed_check: 'key_availability', reason: 'no signing key available for 2 tenants' });
    expect([...((logged?.['tenant_ids'] as string[]) ?? [])].sort()).toEqual([t.tenantId, second].sort());
  });
});

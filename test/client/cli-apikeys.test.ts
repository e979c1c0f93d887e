/**
 * `token-engine-cli apikey create|list|revoke|exchange` (the built CLI) against a started
 * service with API keys on: the secret printed by create only, exchanged from a file,
 * listed and revoked by key id.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { CLI } from './support/paths.js';
import { type NodeRun, runNode } from './support/run-node.js';

const CALLER_KEY = 'cli-apikeys-caller-7d2e';

describe('token-engine-cli apikey', () => {
  let t: TestApp;
  let dir: string;
  const outputs: NodeRun[] = [];
  const cli = async (args: string[], env: Record<string, string> = {}): Promise<NodeRun> => {
    const run = await runNode(
      CLI,
      ['--address', t.grpcAddress, ...args],
      { TOKEN_ENGINE_CLI_API_KEY: CALLER_KEY, ...env },
      20_000,
      '',
    );
    outputs.push(run);
    return run;
  };

  beforeAll(async () => {
    t = await startTestApp({
      TOKEN_ENGINE_STATIC_CALLER_KEYS: `${CALLER_KEY}=cli-caller`,
      TOKEN_ENGINE_API_KEY_PEPPER: randomBytes(32).toString('base64'),
    });
    dir = await mkdtemp(join(tmpdir(), 'te-cli-apikeys-'));
  });
  afterAll(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, exchanges, lists and revokes a key', async () => {
    const created = await cli([
      'apikey',
      'create',
      '--tenant',
      t.tenantId,
      '--owner',
      'robot',
      '--name',
      'nightly',
      '--claim',
      'tier=gold',
      '--expires-in',
      '3600',
      '--json',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const { apiKey, info } = JSON.parse(created.stdout) as { apiKey: string; info: { keyId: string; owner: string } };
    expect(apiKey).toMatch(/^tek_/);
    expect(info.owner).toBe('robot');

    const file = join(dir, 'key');
    await writeFile(file, `${apiKey}\n`);
    const exchanged = await cli(['apikey', 'exchange', '--tenant', t.tenantId, '--token-file', file]);
    expect(exchanged.code).toBe(0);
    const token = /^access_token: (\S+)$/m.exec(exchanged.stdout)?.[1] ?? '';
    expect(decodeJwt(token)).toMatchObject({ sub: 'robot', akid: info.keyId, tier: 'gold' });

    const listed = await cli(['apikey', 'list', '--tenant', t.tenantId, '--owner', 'robot']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(info.keyId);
    expect(listed.stdout).toContain('name="nightly"');

    const revoked = await cli(['apikey', 'revoke', '--tenant', t.tenantId, '--key-id', info.keyId]);
    expect(revoked).toMatchObject({ code: 0, stdout: 'revoked\n' });
    const refused = await cli(['apikey', 'exchange', '--tenant', t.tenantId], { TOKEN_ENGINE_CLI_TOKEN: apiKey });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^UNAUTHENTICATED: api key invalid/);
    expect((await cli(['apikey', 'list', '--tenant', t.tenantId, '--owner', 'robot'])).stdout).toContain('revoked');

    // The secret was printed once, by create, and nowhere else.
    const printed = outputs.map((run) => `${run.stdout}${run.stderr}`).join('\n');
    expect(printed.split(apiKey).length - 1).toBe(1);
  });

  it('exchange --dpop-key FILE binds the minted token to the key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { calculateJwkThumbprint, exportJWK } = await import('jose');
    const created = await cli(['apikey', 'create', '--tenant', t.tenantId, '--owner', 'bound-robot', '--json']);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(dir, 'dpop.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const exchanged = await cli(['apikey', 'exchange', '--tenant', t.tenantId, '--dpop-key', keyFile], {
      TOKEN_ENGINE_CLI_TOKEN: apiKey,
    });
    expect(exchanged.code).toBe(0);
    const token = /^access_token: (\S+)$/m.exec(exchanged.stdout)?.[1] ?? '';
    const jkt = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    expect(decodeJwt(token)).toMatchObject({ sub: 'bound-robot', cnf: { jkt } });
  });

  it('refuses a page size that is not a whole number before connecting', async () => {
    const run = await cli(['apikey', 'list', '--tenant', t.tenantId, '--owner', 'o', '--page-size', 'ten']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--page-size must be a whole number');
  });
});

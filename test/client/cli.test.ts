import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMtlsTestApp, startTestApp, type TestApp } from '../support/app.js';
import type { TestPki } from '../support/certs.js';
import { uniquePrefix } from '../support/redis.js';
import { MAIN, startService } from '../support/service-process.js';
import { CLI } from './support/paths.js';
import { runNode, type NodeRun } from './support/run-node.js';

// A key that appears nowhere else, so finding it in any output is a leak.
const API_KEY = 'cli-secret-5f1c9e2a';

interface Pair {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresIn: number;
  refreshTokenExpiresIn: number;
}

describe('token-engine-cli against a started service (API key)', () => {
  let t: TestApp;
  const outputs: NodeRun[] = [];
  /** Runs the built CLI with the service's addresses; the key comes from the environment. */
  const cli = async (
    args: string[],
    env: Record<string, string> = { TOKEN_ENGINE_CLI_API_KEY: API_KEY },
    stdin = '',
  ): Promise<NodeRun> => {
    const run = await runNode(CLI, ['--address', t.grpcAddress, '--http', t.httpBase, ...args], env, 20_000, stdin);
    outputs.push(run);
    return run;
  };
  const issue = async (sub: string, ...extra: string[]): Promise<Pair> => {
    const run = await cli(['issue', '--sub', sub, '--tenant', t.tenantId, '--json', ...extra]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as Pair;
  };
  const expectRevoked = async (pair: Pair): Promise<void> => {
    const run = await cli(['refresh', `--token=${pair.refreshToken}`, '--tenant', t.tenantId]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^PERMISSION_DENIED: /);
  };

  beforeAll(async () => {
    t = await startTestApp({ TOKEN_ENGINE_STATIC_CALLER_KEYS: `${API_KEY}=cli-caller` });
  });
  afterAll(async () => {
    await t.stop();
    // Whatever happened in this file, the key was never printed.
    expect(outputs.length).toBeGreaterThan(10);
    for (const run of outputs) expect(`${run.stdout}${run.stderr}`).not.toContain(API_KEY);
  });

  it('issue prints the pair, with audiences and claims', async () => {
    const run = await cli([
      'issue',
      '--sub',
      'alice',
      '--tenant',
      t.tenantId,
      '--aud',
      'a1',
      '--aud',
      'a2',
      '--claim',
      'role=admin',
      '--claim',
      'note=a=b',
    ]);
    expect(run.code).toBe(0);
    const lines = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(': ') as [string, string]),
    );
    expect(Object.keys(lines)).toEqual(['access_token', 'refresh_token', 'access_token_expires_in', 'refresh_token_expires_in']);
    expect(decodeJwt(lines['access_token'] ?? '')).toMatchObject({ sub: 'alice', aud: ['a1', 'a2'], role: 'admin', note: 'a=b' });
    expect(lines['refresh_token']).toHaveLength(43);
  });

  it('issue --json prints the camelCase pair; --idempotency-key replays it', async () => {
    const key = uniquePrefix('cli-key');
    const first = await issue('bob', '--idempotency-key', key);
    expect(Object.keys(first).sort()).toEqual(['accessToken', 'accessTokenExpiresIn', 'refreshToken', 'refreshTokenExpiresIn']);
    expect(await issue('bob', '--idempotency-key', key)).toEqual(first);
    const conflict = await cli(['issue', '--sub', 'not-bob', '--tenant', t.tenantId, '--idempotency-key', key]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^FAILED_PRECONDITION: /);
  });

  it('refresh rotates the refresh token', async () => {
    const pair = await issue('carol');
    const run = await cli(['refresh', `--token=${pair.refreshToken}`, '--tenant', t.tenantId, '--json']);
    expect(run.code).toBe(0);
    const next = JSON.parse(run.stdout) as Pair;
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect(decodeJwt(next.accessToken).sub).toBe('carol');
  });

  it('issue and refresh --dpop-key FILE bind the pair to the key; a bound refresh needs it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'te-cli-dpop-'));
    try {
      const { generateKeyPairSync } = await import('node:crypto');
      const { calculateJwkThumbprint, exportJWK } = await import('jose');
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const file = join(dir, 'dpop.pem');
      await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const jkt = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
      const pair = await issue('hana', '--dpop-key', file);
      expect(decodeJwt(pair.accessToken)['cnf']).toEqual({ jkt });
      const without = await cli(['refresh', `--token=${pair.refreshToken}`, '--tenant', t.tenantId]);
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/^INVALID_ARGUMENT: dpop proof required/);
      const bound = await cli(['refresh', `--token=${pair.refreshToken}`, '--tenant', t.tenantId, '--json', '--dpop-key', file]);
      expect(bound.code).toBe(0);
      expect(decodeJwt((JSON.parse(bound.stdout) as Pair).accessToken)['cnf']).toEqual({ jkt });
      const notAKey = await cli(['issue', '--sub', 'x', '--tenant', t.tenantId, '--dpop-key', join(dir, 'missing.pem')]);
      expect(notAKey.code).toBe(2);
      expect(notAKey.stderr).toContain('--dpop-key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('revoke token / user / audience / user-audience', async () => {
    const byToken = await issue('dave');
    const byUser = await issue('erin');
    const byAudience = await issue('frank', '--aud', 'aud-1', '--aud', 'aud-2');
    const byUserAudience = await issue('gina', '--aud', 'shop');
    const kept = await issue('gina', '--aud', 'blog');
    const runs = [
      await cli(['revoke', 'token', `--token=${byToken.refreshToken}`, '--tenant', t.tenantId]),
      await cli(['revoke', 'user', '--user', 'erin', '--tenant', t.tenantId]),
      await cli(['revoke', 'audience', '--aud', 'aud-2', '--tenant', t.tenantId]),
      await cli(['revoke', 'user-audience', '--user', 'gina', '--aud', 'shop', '--tenant', t.tenantId, '--json']),
    ];
    expect(runs.map((r) => [r.code, r.stdout])).toEqual([
      [0, 'revoked\n'],
      [0, 'revoked\n'],
      [0, 'revoked\n'],
      [0, '{"ok":true}\n'],
    ]);
    for (const pair of [byToken, byUser, byAudience, byUserAudience]) await expectRevoked(pair);
    expect((await cli(['refresh', `--token=${kept.refreshToken}`, '--tenant', t.tenantId])).code).toBe(0);
  });

  it('validate prints whether an access token is active, and why not', async () => {
    const pair = await issue('vera', '--aud', 'orders', '--claim', 'role=reader');
    const active = await cli(['validate', '--token', pair.accessToken, '--tenant', t.tenantId]);
    expect(active.code).toBe(0);
    expect(active.stdout).toMatch(
      /^active: true\nsub: vera\naudiences: orders\nissued_at: .+\nexpires_at: .+\njti: .+\nclaim role: reader\n$/,
    );
    const json = await cli(['validate', '--token', pair.accessToken, '--tenant', t.tenantId, '--aud', 'billing', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ active: false, reason: 'wrong_audience' });
    await cli(['revoke', 'user', '--user', 'vera', '--tenant', t.tenantId]);
    const revoked = await cli(['validate', '--token', pair.accessToken, '--tenant', t.tenantId]);
    expect(revoked).toMatchObject({ code: 0, stdout: 'active: false\nreason: revoked\n' });
    const empty = await cli(['validate', '--token=', '--tenant', t.tenantId]);
    expect(empty.code).toBe(2);
  });

  it('watch prints revocations after a cursor, one per line, and stops after --limit', async () => {
    const { createClient } = await import('../../client/index.js');
    const client = createClient({ address: t.grpcAddress, apiKey: API_KEY });
    let cursor = '';
    try {
      for await (const event of client.watchRevocations({ tenantId: t.tenantId })) {
        if (event.scope === 'heartbeat') {
          cursor = event.cursor;
          break;
        }
      }
    } finally {
      client.close();
    }
    await cli(['revoke', 'user', '--user', 'watched-1', '--tenant', t.tenantId]);
    await cli(['revoke', 'audience', '--aud', 'watched-aud', '--tenant', t.tenantId]);
    const after = cursor ? ['--after', cursor] : [];
    const json = await cli(['watch', '--tenant', t.tenantId, ...after, '--limit', '2', '--json']);
    expect(json.code).toBe(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { scope: string; userId: string; audience: string; cursor: string });
    expect(events.map((e) => [e.scope, e.userId, e.audience])).toEqual([
      ['user', 'watched-1', ''],
      ['audience', '', 'watched-aud'],
    ]);
    const text = await cli(['watch', '--tenant', t.tenantId, '--after', events[0]?.cursor ?? '', '--limit', '1']);
    expect(text.stdout).toMatch(/^\d+-\d+ audience audience="watched-aud" watermark=\d+ at=\S+\n$/);
    const bad = await cli(['watch', '--tenant', t.tenantId, '--after', 'yesterday']);
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'INVALID_ARGUMENT: after must be empty or the cursor of an event (<ms>-<n>)\n',
    });
    expect((await cli(['watch', '--tenant', t.tenantId, '--limit', 'many'])).code).toBe(2);
    expect((await cli(['call', 'WatchRevocations', '--data', '{}'])).code).toBe(2);
  });

  it('jwks prints the default tenant set, or a named tenant, and fails for an unknown one', async () => {
    const pretty = await cli(['jwks'], {});
    expect(pretty.code).toBe(0);
    const set = JSON.parse(pretty.stdout) as { keys: { kid: string; kty: string; d?: string }[] };
    expect(set.keys.length).toBeGreaterThan(0);
    expect(set.keys[0]).not.toHaveProperty('d');
    const named = await cli(['jwks', '--tenant', t.tenantId, '--json'], {});
    expect(named.code).toBe(0);
    expect(named.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(named.stdout)).toEqual(set);
    const unknown = await cli(['jwks', '--tenant', 'no-such-tenant'], {});
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('HTTP 404');
  });

  it('health checks gRPC and HTTP readiness, without credentials', async () => {
    const run = await cli(['health'], {});
    expect(run).toMatchObject({ code: 0, stdout: 'grpc: SERVING\nhttp: ready\n' });
    const json = await cli(['health', '--json'], {});
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, grpc: 'SERVING', http: 'ready' });
  });

  it('exits 1 with "CODE: message" on an RPC error', async () => {
    const unknownTenant = await cli(['issue', '--sub', 'u', '--tenant', 'no-such-tenant']);
    expect(unknownTenant).toMatchObject({ code: 1, stdout: '', stderr: 'NOT_FOUND: tenant no-such-tenant not found\n' });
    const invalid = await cli(['issue', '--sub', ' ', '--tenant', t.tenantId]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^INVALID_ARGUMENT: sub/);
    const wrongKey = await cli(['--api-key', 'wrong-key', 'revoke', 'user', '--user', 'u', '--tenant', t.tenantId], {});
    expect(wrongKey).toMatchObject({ code: 1, stderr: 'UNAUTHENTICATED: invalid or missing api key\n' });
    const viaFlag = await cli(['--api-key', API_KEY, 'revoke', 'user', '--user', 'u', '--tenant', t.tenantId], {});
    expect(viaFlag.code).toBe(0);
  });

  it('exits 1 when nothing answers', async () => {
    const run = await runNode(
      CLI,
      [
        '--address',
        '127.0.0.1:1',
        '--http',
        'http://127.0.0.1:1',
        'revoke',
        'user',
        '--user',
        'u',
        '--tenant',
        't',
        '--deadline',
        '2000',
      ],
      {
        TOKEN_ENGINE_CLI_API_KEY: API_KEY,
      },
    );
    outputs.push(run);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^UNAVAILABLE: /);
    const health = await runNode(CLI, ['--address', '127.0.0.1:1', '--http', 'http://127.0.0.1:1', 'health']);
    expect(health.code).toBe(1);
    expect(health.stdout).toMatch(/^grpc: UNAVAILABLE: .*\nhttp: GET http:\/\/127\.0\.0\.1:1\/healthz\/ready failed/);
  });

  it('exits 2 on usage errors', async () => {
    const cases: string[][] = [
      [],
      ['frobnicate'],
      ['issue', '--tenant', 't'],
      ['issue', '--sub', 's'],
      ['issue', '--sub', 's', '--tenant', 't', '--user', 'u'],
      ['issue', '--sub', 's', '--tenant', 't', '--claim', 'no-equals'],
      ['issue', '--sub', 's', '--tenant', 't', 'extra'],
      ['refresh', '--tenant', 't'],
      ['revoke'],
      ['revoke', 'everything', '--tenant', 't'],
      ['revoke', 'user', '--tenant', 't'],
      ['revoke', 'audience', '--aud', 'a', '--aud', 'b', '--tenant', 't'],
      ['revoke', 'user-audience', '--user', 'u', '--tenant', 't'],
      ['--bogus', 'health'],
      ['--deadline', 'soon', 'health'],
      ['--cert', 'only-a-cert.pem', 'health'],
      ['--cert', '/nonexistent/c', '--key', '/nonexistent/k', '--ca', '/nonexistent/ca', 'health'],
      ['--http', 'not a url', 'jwks'],
    ];
    for (const args of cases) {
      const run = await cli(args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(/^token-engine-cli: .+\nRun "token-engine-cli --help" for usage\.\n$/);
    }
  });

  it('exits 2 when an RPC command has no credentials, and never prints a key given with them', async () => {
    const none = await cli(['issue', '--sub', 's', '--tenant', t.tenantId], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('TOKEN_ENGINE_CLI_API_KEY');
    const both = await cli(
      ['--api-key', API_KEY, '--cert', 'c', '--key', 'k', '--ca', 'a', 'issue', '--sub', 's', '--tenant', 't'],
      {},
    );
    expect(both.code).toBe(2);
  });

  describe('secrets kept off the command line', () => {
    /** Each spawns several CLI processes, which a loaded machine starts slowly. */
    const SLOW_MS = 60_000;
    let dir: string;
    let keyFile: string;
    const tenant = (): string[] => ['--tenant', t.tenantId];
    const noEnv = {};
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cli-secrets-'));
      keyFile = join(dir, 'api-key');
      await writeFile(keyFile, `${API_KEY}\n`);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it(
      'takes the API key from a file or from stdin',
      async () => {
        const [fromFile, fromStdin] = await Promise.all([
          cli(['--api-key-file', keyFile, 'issue', '--sub', 'hana', ...tenant(), '--json'], noEnv),
          cli(['--api-key-file', '-', 'issue', '--sub', 'hana', ...tenant(), '--json'], noEnv, `${API_KEY}\n`),
        ]);
        for (const run of [fromFile, fromStdin]) {
          expect(run).toMatchObject({ code: 0, stderr: '' });
          expect(decodeJwt((JSON.parse(run.stdout) as Pair).accessToken).sub).toBe('hana');
        }
      },
      SLOW_MS,
    );

    it(
      'takes the refresh token from the environment, a file, --token - or --token-file -',
      async () => {
        let pair = await issue('ivy');
        const rotate = async (args: string[], env: Record<string, string> = {}, stdin = ''): Promise<void> => {
          const run = await cli(
            ['refresh', ...args, ...tenant(), '--json'],
            { TOKEN_ENGINE_CLI_API_KEY: API_KEY, ...env },
            stdin,
          );
          expect(run).toMatchObject({ code: 0, stderr: '' });
          const next = JSON.parse(run.stdout) as Pair;
          expect(next.refreshToken).not.toBe(pair.refreshToken);
          pair = next;
        };
        await rotate([], { TOKEN_ENGINE_CLI_TOKEN: pair.refreshToken });
        const tokenFile = join(dir, 'token');
        await writeFile(tokenFile, `${pair.refreshToken}\n`);
        await rotate(['--token-file', tokenFile]);
        await rotate(['--token', '-'], {}, `${pair.refreshToken}\n`);
        await rotate(['--token-file', '-'], {}, pair.refreshToken);
        const revoked = await cli(['revoke', 'token', '--token', '-', ...tenant()], undefined, pair.refreshToken);
        expect(revoked).toMatchObject({ code: 0, stdout: 'revoked\n' });
        await expectRevoked(pair);
      },
      SLOW_MS,
    );

    it('reads the request of `call` from stdin with --data -', async () => {
      const request = JSON.stringify({ sub: 'ivan', tenant_id: t.tenantId });
      const called = await cli(['call', 'IssueToken', '--data', '-'], undefined, request);
      expect(called.code).toBe(0);
      expect(decodeJwt((JSON.parse(called.stdout) as { access_token: string }).access_token).sub).toBe('ivan');
    });

    it(
      'refuses conflicting or unreadable sources as usage errors naming the flag, never the value',
      async () => {
        const empty = join(dir, 'empty');
        await writeFile(empty, '\n');
        const missing = join(dir, 'missing');
        const secretToken = 'never-shown-refresh-token-7c1d';
        const refused = await Promise.all([
          cli(['--api-key', API_KEY, '--api-key-file', keyFile, 'issue', '--sub', 's', ...tenant()], noEnv),
          cli(['refresh', '--token', secretToken, '--token-file', missing, ...tenant()]),
          cli(['--api-key-file', '-', 'refresh', '--token', '-', ...tenant()], noEnv, `${API_KEY}\n`),
          cli(['--api-key-file', empty, 'issue', '--sub', 's', ...tenant()], noEnv),
          cli(['--api-key-file', missing, 'issue', '--sub', 's', ...tenant()], noEnv),
          cli(['refresh', '--token', '-', ...tenant()]),
          cli(['refresh', ...tenant()]),
        ]);
        expect(refused.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
        expect(refused.map((r) => r.stderr.split('\n')[0])).toEqual([
          'token-engine-cli: use either --api-key or --api-key-file, not both',
          'token-engine-cli: use either --token or --token-file, not both',
          'token-engine-cli: only one value can come from stdin: --token - and --api-key-file - both ask for it',
          `token-engine-cli: --api-key-file ${empty} is empty`,
          `token-engine-cli: cannot read --api-key-file ${missing}: ENOENT`,
          'token-engine-cli: --token -: stdin is empty',
          'token-engine-cli: refresh needs the refresh token: --token, --token-file or TOKEN_ENGINE_CLI_TOKEN',
        ]);
        for (const run of refused) expect(`${run.stdout}${run.stderr}`).not.toContain(secretToken);
      },
      SLOW_MS,
    );
  });

  it('--help prints usage and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: token-engine-cli');
    // It says how to keep secrets off the command line.
    for (const way of [
      '--api-key-file FILE',
      '$TOKEN_ENGINE_CLI_API_KEY',
      '$TOKEN_ENGINE_CLI_TOKEN',
      '--token -',
      '--token-file -',
    ]) {
      expect(run.stdout).toContain(way);
    }
    for (const command of [
      'issue',
      'refresh',
      'revoke token',
      'revoke user',
      'revoke audience',
      'revoke user-audience',
      'validate',
      'watch',
      'jwks',
      'health',
    ]) {
      expect(run.stdout).toContain(`  ${command}`);
    }
  });
});

describe('token-engine-cli over mTLS', () => {
  let pki: TestPki;
  let t: TestApp;
  let stopApp: () => Promise<void>;
  beforeAll(async () => {
    ({ t, pki, stop: stopApp } = await startMtlsTestApp('cli-mtls'));
  });
  afterAll(async () => {
    await stopApp();
  });

  it('issues and revokes with --cert/--key/--ca, and checks health', async () => {
    const tls = [
      '--cert',
      join(pki.dir, 'client.crt'),
      '--key',
      join(pki.dir, 'client.key'),
      '--ca',
      pki.caFile,
      '--server-name',
      'localhost',
    ];
    const base = ['--address', t.grpcAddress, '--http', t.httpBase, ...tls];
    const issued = await runNode(CLI, [...base, 'issue', '--sub', 'svc', '--tenant', t.tenantId, '--json']);
    expect(issued.code).toBe(0);
    expect(decodeJwt((JSON.parse(issued.stdout) as Pair).accessToken).sub).toBe('svc');
    expect((await runNode(CLI, [...base, 'revoke', 'user', '--user', 'svc', '--tenant', t.tenantId])).code).toBe(0);
    expect(await runNode(CLI, [...base, 'health'])).toMatchObject({ code: 0, stdout: 'grpc: SERVING\nhttp: ready\n' });
  });
});

describe('token-engine-cli against the `make run` configuration (node dist/main.js, memory store)', () => {
  it('issues, refreshes and revokes for tenant local-dev with key dev-local-key', async () => {
    // The e2e tests need the same build (make test builds first).
    expect(MAIN).toMatch(/dist[/\\]main\.js$/);
    const service = await startService({
      TOKEN_ENGINE_STORE: 'memory',
      TOKEN_ENGINE_TLS_MODE: 'disabled',
      TOKEN_ENGINE_ISSUER: 'local-dev',
      TOKEN_ENGINE_AUDIENCE: 'local-api',
      TOKEN_ENGINE_STATIC_CALLER_KEYS: 'dev-local-key=local-client',
    });
    try {
      const base = ['--address', service.grpcAddress, '--http', service.httpBase];
      const env = { TOKEN_ENGINE_CLI_API_KEY: 'dev-local-key' };
      const issued = await runNode(CLI, [...base, 'issue', '--sub', 'alice', '--tenant', 'local-dev', '--json'], env);
      expect(issued.code).toBe(0);
      const pair = JSON.parse(issued.stdout) as Pair;
      expect(decodeJwt(pair.accessToken)).toMatchObject({ iss: 'local-dev', aud: ['local-api'] });
      const refreshed = await runNode(
        CLI,
        [...base, 'refresh', `--token=${pair.refreshToken}`, '--tenant', 'local-dev', '--json'],
        env,
      );
      expect(refreshed.code).toBe(0);
      expect((await runNode(CLI, [...base, 'revoke', 'user', '--user', 'alice', '--tenant', 'local-dev'], env)).code).toBe(0);
      expect((await runNode(CLI, [...base, 'health'])).code).toBe(0);
      expect((await runNode(CLI, [...base, 'jwks'])).code).toBe(0);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  });
});

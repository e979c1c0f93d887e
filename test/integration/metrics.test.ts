import { execFile, spawnSync } from 'node:child_process';
import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import type { WireTokenPair } from '../support/grpc-client.js';

const ISSUE = '/token.v1.TokenEngine/IssueToken';
const REFRESH = '/token.v1.TokenEngine/RefreshToken';

/** One sample line of the exposition text. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

function promtool(body: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end(body);
  });
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

describe('/metrics after known calls', () => {
  let text: string;
  let samples: Sample[];
  beforeAll(async () => {
    const tenant = { tenant_id: t.tenantId };
    const issue = (sub: string, md?: Metadata) => t.client.ok<WireTokenPair>('IssueToken', { ...tenant, sub }, md);
    const first = await issue('metrics-user-1');
    await issue('metrics-user-2', t.client.metadata({ 'x-idempotency-key': 'metrics-idem' }));
    await issue('metrics-user-2', t.client.metadata({ 'x-idempotency-key': 'metrics-idem' }));
    await t.client.ok('RefreshToken', { ...tenant, refresh_token: first.refresh_token });
    const reuse = await t.client.call('RefreshToken', { ...tenant, refresh_token: first.refresh_token });
    expect(reuse.error?.code).toBe(status.PERMISSION_DENIED);
    expect((await t.client.call('IssueToken', { ...tenant, sub: 'x' }, new Metadata())).error?.code).toBe(status.UNAUTHENTICATED);
    expect((await t.client.call('IssueToken', { tenant_id: 'metrics-unknown-tenant', sub: 'x' })).error?.code).toBe(
      status.NOT_FOUND,
    );
    const revokable = await issue('metrics-user-3');
    await t.client.ok('RevokeToken', { ...tenant, refresh_token: revokable.refresh_token });
    await t.client.ok('RevokeAllUserTokens', { ...tenant, user_id: 'metrics-user-3' });
    await t.client.ok('RevokeAllForAudience', { ...tenant, audience: 'metrics-audience' });
    await t.client.ok('RevokeAllForUserAndAudience', { ...tenant, user_id: 'metrics-user-3', audience: 'metrics-audience' });
    await t.app.rotateKeys(t.tenantId, false);
    expect((await fetch(`${t.httpBase}/.well-known/jwks.json`)).status).toBe(200);

    const res = await fetch(`${t.httpBase}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    text = await res.text();
    samples = parseSamples(text);
  });

  it('passes promtool check metrics', async () => {
    const available = spawnSync('promtool', ['--version']).status === 0;
    expect(available, 'promtool is missing: apt-get install prometheus (.ci/run does)').toBe(true);
    const { code, output } = await promtool(text);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('counts requests by method and status name, and times them', () => {
    expect(total(samples, 'token_engine_grpc_requests_total', { rpc_method: ISSUE, status: 'OK' })).toBe(4);
    expect(total(samples, 'token_engine_grpc_requests_total', { rpc_method: ISSUE, status: 'Unauthenticated' })).toBe(1);
    expect(total(samples, 'token_engine_grpc_requests_total', { rpc_method: ISSUE, status: 'NotFound' })).toBe(1);
    expect(total(samples, 'token_engine_grpc_requests_total', { rpc_method: REFRESH, status: 'PermissionDenied' })).toBe(1);
    expect(total(samples, 'token_engine_grpc_request_duration_seconds_count', { rpc_method: ISSUE })).toBe(6);
    expect(total(samples, 'token_engine_idempotency_total', { rpc_method: ISSUE, result: 'miss' })).toBe(1);
    expect(total(samples, 'token_engine_idempotency_total', { rpc_method: ISSUE, result: 'hit' })).toBe(1);
  });

  it('counts tokens issued, refreshed, revoked by scope, and reuse, per tenant', () => {
    const tenant = { tenant_id: t.tenantId };
    // The replayed IssueToken did not issue anything.
    expect(total(samples, 'token_engine_tokens_issued_total', tenant)).toBe(3);
    expect(total(samples, 'token_engine_tokens_refreshed_total', tenant)).toBe(1);
    expect(total(samples, 'token_engine_refresh_token_reuse_detected_total', tenant)).toBe(1);
    for (const scope of ['token', 'user', 'audience', 'user_audience']) {
      expect(total(samples, 'token_engine_tokens_revoked_total', { ...tenant, scope }), scope).toBe(1);
    }
    // Nothing is counted for a tenant that is not configured.
    expect(text).not.toContain('metrics-unknown-tenant');
  });

  it('exports tenants, key rotations and the JWKS key count', () => {
    expect(total(samples, 'token_engine_active_tenants')).toBe(1);
    expect(total(samples, 'token_engine_tenant_registry_operations_total', { operation: 'add' })).toBe(1);
    expect(total(samples, 'token_engine_key_rotations_total', { tenant_id: t.tenantId, reason: 'emergency' })).toBe(1);
    expect(total(samples, 'token_engine_jwks_key_count', { tenant_id: t.tenantId })).toBe(2);
  });

  it('times Redis commands by command and script name', () => {
    const scripts = (name: string) =>
      total(samples, 'token_engine_redis_command_duration_seconds_count', { script: name, outcome: 'ok' });
    expect(scripts('issue')).toBe(3);
    expect(scripts('rotate')).toBe(1);
    expect(scripts('revoke_token')).toBe(1);
    expect(scripts('revoke_watermark')).toBe(3);
    expect(scripts('idempotency_claim')).toBe(2);
    const commands = new Set(
      samples.filter((s) => s.name === 'token_engine_redis_command_duration_seconds_count').map((s) => s.labels['command']),
    );
    for (const command of commands) expect(command).toMatch(/^[a-z_]+$/);
    expect([...commands]).toEqual(expect.arrayContaining([expect.stringMatching(/^eval(sha)?$/)]));
  });

  it('uses only bounded label values: no user id, audience or token in any label', () => {
    for (const needle of ['metrics-user', 'metrics-audience', 'metrics-idem']) expect(text).not.toContain(needle);
    const labelNames = new Set(samples.filter((s) => s.name.startsWith('token_engine_')).flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].sort()).toEqual([
      'check',
      'command',
      'le',
      'operation',
      'outcome',
      'reason',
      'result',
      'rpc_method',
      'scope',
      'script',
      'status',
      'tenant_id',
    ]);
  });

  it('reports readiness, published keys and the signing key age at scrape time, without a JWKS fetch', () => {
    for (const check of ['redis', 'audit', 'reconciler', 'key_availability']) {
      expect(total(samples, 'token_engine_readiness_check', { check }), check).toBe(1);
    }
    const tenant = { tenant_id: t.tenantId };
    // The emergency rotation above added a second key; both are published.
    expect(total(samples, 'token_engine_jwks_key_count', tenant)).toBe(2);
    expect(total(samples, 'token_engine_key_rotation_interval_seconds', tenant)).toBe(30 * 24 * 3600);
    const age = total(samples, 'token_engine_signing_key_age_seconds', tenant);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
  });

  it('includes the Node process metrics', () => {
    expect(total(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name.startsWith('nodejs_'))).toBe(true);
  });
});

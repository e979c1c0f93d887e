import { describe, expect, it } from 'vitest';
import { findProtoDir, loadClientProto, readLoaderOptions } from '../../client/proto.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryable } from '../../client/retry.js';
import { codeName, Status } from '../../client/errors.js';
import { LOADER_OPTIONS, loadTokenEngineProto, PROTO_DIR } from '../../src/grpc/proto.js';

describe('the client loads the same contract as the server', () => {
  it('finds the same proto directory and loader options', () => {
    expect(findProtoDir()).toBe(PROTO_DIR);
    expect(readLoaderOptions()).toEqual(LOADER_OPTIONS);
  });

  it('has the same methods, paths and message encodings', () => {
    const client = loadClientProto().token.v1.TokenEngine.service;
    const server = loadTokenEngineProto().service;
    expect(Object.keys(client).sort()).toEqual(Object.keys(server).sort());
    const samples: Record<string, object> = {
      IssueToken: { tenant_id: 't', sub: 's', audiences: ['a'], claims: { k: 'v' }, idempotency_key: 'i' },
      RefreshToken: { tenant_id: 't', refresh_token: 'r', claims: { k: 'v' } },
      RevokeToken: { tenant_id: 't', refresh_token: 'r' },
      RevokeAllForAudience: { tenant_id: 't', audience: 'a' },
      RevokeAllUserTokens: { tenant_id: 't', user_id: 'u' },
      RevokeAllForUserAndAudience: { tenant_id: 't', user_id: 'u', audience: 'a' },
    };
    for (const [name, method] of Object.entries(server)) {
      const mine = client[name as keyof typeof client] as typeof method | undefined;
      if (!mine) throw new Error(`the client has no ${name}`);
      expect(mine.path).toBe(method.path);
      expect([mine.requestStream, mine.responseStream]).toEqual([false, name === 'WatchRevocations']);
      const sample = samples[name] ?? {};
      const bytes = mine.requestSerialize(sample);
      expect(bytes).toEqual(method.requestSerialize(sample));
      expect(method.requestDeserialize(bytes)).toEqual(mine.requestDeserialize(bytes));
    }
    const pair = { access_token: 'a', refresh_token: 'r', access_token_expires_in: 900, refresh_token_expires_in: 2_592_000 };
    const encoded = server['IssueToken']?.responseSerialize(pair) ?? Buffer.alloc(0);
    expect(client.IssueToken.responseDeserialize(encoded)).toEqual(pair);
  });

  it('names every place it looked when proto/ is missing', () => {
    expect(() => findProtoDir(['/nowhere/a', '/nowhere/b'])).toThrow('/nowhere/a, /nowhere/b');
  });
});

describe('retry policy', () => {
  it('retries only UNAVAILABLE, and only revocations or calls with an idempotency key', () => {
    for (const method of ['RevokeToken', 'RevokeAllForAudience', 'RevokeAllUserTokens', 'RevokeAllForUserAndAudience']) {
      expect(isRetryable(method, false, Status.UNAVAILABLE)).toBe(true);
      expect(isRetryable(method, false, Status.DEADLINE_EXCEEDED)).toBe(false);
      expect(isRetryable(method, false, Status.INTERNAL)).toBe(false);
    }
    for (const method of ['IssueToken', 'RefreshToken']) {
      expect(isRetryable(method, false, Status.UNAVAILABLE)).toBe(false);
      expect(isRetryable(method, true, Status.UNAVAILABLE)).toBe(true);
      expect(isRetryable(method, true, Status.ABORTED)).toBe(false);
    }
  });

  it('backs off exponentially within [ceiling/2, ceiling], capped', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 300 };
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(policy, n, () => 0))).toEqual([50, 100, 150, 150]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(policy, n, () => 1))).toEqual([100, 200, 300, 300]);
  });

  it('names status codes as the gRPC specification does', () => {
    expect(codeName(Status.NOT_FOUND)).toBe('NOT_FOUND');
    expect(codeName(Status.UNAVAILABLE)).toBe('UNAVAILABLE');
    expect(codeName(99)).toBe('CODE_99');
  });
});

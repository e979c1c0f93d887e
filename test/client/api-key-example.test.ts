import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as apiKeyExchange } from '../../examples/api-key-exchange.js';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/app.js';
import { EXAMPLES_DIST } from './support/paths.js';
import { runNode } from './support/run-node.js';

describe('the api-key-exchange example against a service with API keys on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TOKEN_ENGINE_API_KEY_PEPPER: randomBytes(32).toString('base64') });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('creates, exchanges, revokes: the key and its token stop', async () => {
    const result = await apiKeyExchange({
      address: t.grpcAddress,
      apiKey: TEST_API_KEY,
      httpBase: t.httpBase,
      tenantId: t.tenantId,
    });
    expect(result).toEqual({
      keyId: expect.stringMatching(/^[0-9A-Za-z]{16}$/),
      tokenSubject: 'ci-bot',
      tokenExpiresIn: expect.any(Number),
      tokenApiKeyId: result.keyId,
      exchangeAfterRevoke: 'UNAUTHENTICATED',
      tokenAfterRevoke: 'revoked',
    });
    // Five minutes by default, in whole seconds left.
    expect(result.tokenExpiresIn).toBeGreaterThanOrEqual(299);
    expect(result.tokenExpiresIn).toBeLessThanOrEqual(300);
  });

  it('runs built with node and prints its result', async () => {
    const run = await runNode(
      join(EXAMPLES_DIST, 'api-key-exchange.js'),
      ['--address', t.grpcAddress, '--http', t.httpBase, '--tenant', t.tenantId],
      { TOKEN_ENGINE_CLI_API_KEY: TEST_API_KEY },
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ exchangeAfterRevoke: 'UNAUTHENTICATED', tokenAfterRevoke: 'revoked' });
  });
});

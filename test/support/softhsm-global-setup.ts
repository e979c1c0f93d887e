import type { TestProject } from 'vitest/node';
import { createSoftHsmToken, type SoftHsmToken } from './softhsm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's SoftHSM2 token (see `test/support/softhsm.ts`), or why there is none. */
    softHsm: { readonly env: Record<string, string>; readonly label: string; readonly pin: string } | { readonly error: string };
  }
}

/** Shared by every project of one vitest process, like the Redis of redis-global-setup.ts. */
const SHARED = Symbol.for('token-engine.test.softhsm');
type GlobalWithToken = typeof globalThis & { [SHARED]?: { users: number; token: Promise<SoftHsmToken> } };

/**
 * vitest global setup: one throwaway SoftHSM2 token per run, in a temporary directory with
 * its own SOFTHSM2_CONF (never the machine's tokens). Without SoftHSM2 installed the
 * PKCS#11 tests fail with the reason; the other tests are not affected.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scope = globalThis as GlobalWithToken;
  const shared = (scope[SHARED] ??= { users: 0, token: createSoftHsmToken('te-run') });
  shared.users += 1;
  try {
    const token = await shared.token;
    project.provide('softHsm', { env: token.env, label: token.label, pin: token.pin });
    process.stderr.write(`[softhsm-global-setup] token ${token.label} in ${token.dir}\n`);
  } catch (error) {
    project.provide('softHsm', { error: error instanceof Error ? error.message : String(error) });
  }
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete scope[SHARED];
    await (await shared.token.catch(() => undefined))?.remove();
  };
}

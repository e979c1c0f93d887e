import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';

type Env = Record<string, string | undefined>;

const BASE: Env = {
  TOKEN_ENGINE_ISSUER: 'https://auth.example.com',
  TOKEN_ENGINE_AUDIENCE: 'api',
  TOKEN_ENGINE_TLS_MODE: 'disabled',
  TOKEN_ENGINE_STATIC_CALLER_KEYS: 'key-one=caller-a',
};
const PKCS11: Env = {
  ...BASE,
  TOKEN_ENGINE_SIGNER: 'pkcs11',
  TOKEN_ENGINE_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
  TOKEN_ENGINE_PKCS11_TOKEN_LABEL: 'token-engine',
  TOKEN_ENGINE_PKCS11_PIN: 'pin-secret-1234',
};

function problems(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('loadConfig did not throw');
}

describe('loadConfig: signer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signer-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to the sealed-key signer with no PKCS#11 settings', () => {
    const { config } = loadConfig(BASE);
    expect(config.signer).toBe('sealed');
    expect(config.pkcs11).toBeUndefined();
  });

  it('reads the PKCS#11 settings, two sessions by default', () => {
    const { config, warnings } = loadConfig(PKCS11);
    expect(config.signer).toBe('pkcs11');
    expect(config.pkcs11).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'token-engine',
      pin: 'pin-secret-1234',
      sessions: 2,
    });
    // No KEK needed and none asked for: the private keys are not in Redis.
    expect(warnings.join('\n')).not.toContain('TOKEN_ENGINE_KEY_ENCRYPTION_KEY');
  });

  it('requires the module, the token label and the PIN with pkcs11, listing every one missing', () => {
    expect(problems({ ...BASE, TOKEN_ENGINE_SIGNER: 'pkcs11' })).toEqual([
      'TOKEN_ENGINE_PKCS11_MODULE must not be empty when TOKEN_ENGINE_SIGNER is pkcs11',
      'TOKEN_ENGINE_PKCS11_TOKEN_LABEL must not be empty when TOKEN_ENGINE_SIGNER is pkcs11',
      'TOKEN_ENGINE_PKCS11_PIN must not be empty when TOKEN_ENGINE_SIGNER is pkcs11',
    ]);
  });

  it('refuses an unknown signer', () => {
    expect(problems({ ...BASE, TOKEN_ENGINE_SIGNER: 'kms' }).join('\n')).toMatch(/TOKEN_ENGINE_SIGNER.*sealed.*pkcs11/);
  });

  it('reads the PIN from TOKEN_ENGINE_PKCS11_PIN_FILE', () => {
    const file = join(dir, 'pin');
    writeFileSync(file, 'pin-from-file\n');
    const { TOKEN_ENGINE_PKCS11_PIN: _pin, ...rest } = PKCS11;
    expect(loadConfig({ ...rest, TOKEN_ENGINE_PKCS11_PIN_FILE: file }).config.pkcs11?.pin).toBe('pin-from-file');
  });

  it('takes the session pool size, warning and defaulting on a bad one', () => {
    expect(loadConfig({ ...PKCS11, TOKEN_ENGINE_PKCS11_SESSIONS: '3' }).config.pkcs11?.sessions).toBe(3);
    const { config, warnings } = loadConfig({ ...PKCS11, TOKEN_ENGINE_PKCS11_SESSIONS: '0' });
    expect(config.pkcs11?.sessions).toBe(2);
    expect(warnings.join('\n')).toContain('TOKEN_ENGINE_PKCS11_SESSIONS');
  });

  it('warns that the KEK is not used with pkcs11, and that PKCS#11 settings are ignored without it', () => {
    const kek = Buffer.alloc(32, 1).toString('base64');
    expect(loadConfig({ ...PKCS11, TOKEN_ENGINE_KEY_ENCRYPTION_KEY: kek }).warnings).toContain(
      'TOKEN_ENGINE_KEY_ENCRYPTION_KEY is not used when TOKEN_ENGINE_SIGNER is pkcs11 (records are tagged in the token)',
    );
    const { config, warnings } = loadConfig({ ...BASE, TOKEN_ENGINE_PKCS11_TOKEN_LABEL: 'x' });
    expect(config.pkcs11).toBeUndefined();
    expect(warnings).toContain('TOKEN_ENGINE_PKCS11_TOKEN_LABEL is ignored because TOKEN_ENGINE_SIGNER is not pkcs11');
  });

  it('never shows the PIN in a message', () => {
    const { warnings } = loadConfig({ ...PKCS11, TOKEN_ENGINE_PKCS11_SESSIONS: 'many' });
    expect(warnings.join('\n')).not.toContain('pin-secret-1234');
    const bad = problems({ ...PKCS11, TOKEN_ENGINE_PKCS11_MODULE: undefined, TOKEN_ENGINE_PKCS11_PIN_FILE: '/nonexistent' });
    expect(bad.join('\n')).not.toContain('pin-secret-1234');
  });
});

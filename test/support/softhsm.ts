import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Where Debian's softhsm2 package puts the PKCS#11 library (and other common places). */
const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

/** A SoftHSM2 token of its own: configuration file, token directory, label and PINs. */
export interface SoftHsmToken {
  readonly dir: string;
  /** SOFTHSM2_CONF for every process that should see this token. */
  readonly conf: string;
  readonly tokenDir: string;
  readonly module: string;
  readonly label: string;
  readonly pin: string;
  /** The environment of the service for this token. */
  readonly env: Record<string, string>;
  remove(): Promise<void>;
}

/** The SoftHSM2 library, or a clear message on how to get it. */
export function softHsmModule(): string {
  const found = MODULE_CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error('SoftHSM2 is not installed: apt-get install softhsm2 (the PKCS#11 tests run against it)');
  return found;
}

/** Makes a throwaway token in a temporary directory, with a configuration of its own. */
export async function createSoftHsmToken(name = 'te'): Promise<SoftHsmToken> {
  const module = softHsmModule();
  const dir = await mkdtemp(join(tmpdir(), 'token-engine-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir);
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const label = `${name}-${randomBytes(4).toString('hex')}`;
  const pin = randomBytes(6).toString('hex');
  await promisify(execFile)(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', randomBytes(6).toString('hex'), '--pin', pin],
    { env: { ...process.env, SOFTHSM2_CONF: conf } },
  );
  return {
    dir,
    conf,
    tokenDir,
    module,
    label,
    pin,
    env: {
      SOFTHSM2_CONF: conf,
      TOKEN_ENGINE_SIGNER: 'pkcs11',
      TOKEN_ENGINE_PKCS11_MODULE: module,
      TOKEN_ENGINE_PKCS11_TOKEN_LABEL: label,
      TOKEN_ENGINE_PKCS11_PIN: pin,
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

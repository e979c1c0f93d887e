/**
 * A throw-away PKI for mTLS tests, made with the openssl CLI: EC P-256 keys, one openssl
 * call per certificate (`req -x509 -CA` creates the key and signs in one go).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = '/usr/bin/openssl';

/** A certificate and its private key, both PEM. */
export interface CertKey {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** PEM files on disk (for loadServerTlsCredentials) and in memory (for clients). */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: Buffer;
  readonly server: CertKey & { readonly certFile: string; readonly keyFile: string };
  readonly clients: {
    /** CN=service-a, signed by the trusted CA. */
    readonly serviceA: CertKey;
    /** CN=service-b, signed by the trusted CA. */
    readonly serviceB: CertKey;
    /** An empty subject (no CN at all), signed by the trusted CA. */
    readonly noCn: CertKey;
    /** CN=service-a, signed by a different CA the server does not trust. */
    readonly untrusted: CertKey;
  };
  cleanup(): Promise<void>;
}

/** Generates the PKI into `dir` (a new temp dir by default). */
export async function makeTestPki(dir?: string): Promise<TestPki> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'token-engine-pki-')));
  const path = (name: string): string => join(root, name);

  // The two CAs are independent, and so are the leaves once their CA exists.
  await Promise.all([
    openssl(['-subj', '/CN=token-engine test CA', ...caExtensions()], path('ca')),
    openssl(['-subj', '/CN=untrusted test CA', ...caExtensions()], path('other-ca')),
  ]);
  const leaf = (name: string, subject: string, usage: string, extra: string[] = [], ca = 'ca'): Promise<void> =>
    openssl(
      [
        '-subj',
        subject,
        '-CA',
        path(`${ca}.crt`),
        '-CAkey',
        path(`${ca}.key`),
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        `extendedKeyUsage=${usage}`,
        ...extra,
      ],
      path(name),
    );
  await Promise.all([
    leaf('server', '/CN=localhost', 'serverAuth', ['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    leaf('service-a', '/CN=service-a', 'clientAuth'),
    leaf('service-b', '/CN=service-b', 'clientAuth'),
    leaf('no-cn', '/', 'clientAuth'),
    leaf('untrusted', '/CN=service-a', 'clientAuth', [], 'other-ca'),
  ]);

  const pair = async (name: string): Promise<CertKey> => ({
    cert: await readFile(path(`${name}.crt`)),
    key: await readFile(path(`${name}.key`)),
  });
  const [ca, server, serviceA, serviceB, noCn, untrusted] = await Promise.all([
    readFile(path('ca.crt')),
    pair('server'),
    pair('service-a'),
    pair('service-b'),
    pair('no-cn'),
    pair('untrusted'),
  ]);
  return {
    dir: root,
    caFile: path('ca.crt'),
    ca,
    server: { ...server, certFile: path('server.crt'), keyFile: path('server.key') },
    clients: { serviceA, serviceB, noCn, untrusted },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

function caExtensions(): string[] {
  return ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
}

/** New P-256 key at `<base>.key` and a certificate at `<base>.crt`, valid for two days. */
async function openssl(args: string[], base: string): Promise<void> {
  await run(
    OPENSSL,
    [
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.crt`,
      '-days',
      '2',
      ...args,
    ],
    // An empty config: the host's openssl.cnf must not add extensions of its own.
    { env: { ...process.env, OPENSSL_CONF: '/dev/null' } },
  );
}

/** The service environment for mTLS with this PKI's server certificate and a caller registry file. */
export function mtlsEnv(pki: TestPki, callerRegistryPath: string): Record<string, string> {
  return {
    TOKEN_ENGINE_TLS_MODE: 'mtls',
    TOKEN_ENGINE_STATIC_CALLER_KEYS: '',
    TOKEN_ENGINE_TLS_CERT_FILE: pki.server.certFile,
    TOKEN_ENGINE_TLS_KEY_FILE: pki.server.keyFile,
    TOKEN_ENGINE_TLS_CA_FILE: pki.caFile,
    TOKEN_ENGINE_CALLER_REGISTRY_PATH: callerRegistryPath,
  };
}

/**
 * Server side of `TOKEN_ENGINE_TLS_MODE=mtls` (doc/OPERATIONS.md, "TLS and callers"): TLS 1.3
 * only, a client certificate required and verified against the CA file, caller identity =
 * the leaf certificate's subject CN.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';

/** The certificate files could not be read or do not form a usable server identity. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(['invalid TLS configuration:', ...problems.map((p) => `  - ${p}`)].join('\n'), options);
    this.problems = Object.freeze([...problems]);
  }
}

/** PEM file paths, as named by TOKEN_ENGINE_TLS_{CERT,KEY,CA}_FILE. */
export interface ServerTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

const VARIABLE = {
  certFile: 'TOKEN_ENGINE_TLS_CERT_FILE',
  keyFile: 'TOKEN_ENGINE_TLS_KEY_FILE',
  caFile: 'TOKEN_ENGINE_TLS_CA_FILE',
} as const satisfies Record<keyof ServerTlsFiles, string>;

/**
 * grpc-js's `ServerCredentials.createSsl` cannot set `minVersion`, so this passes the
 * options straight to `http2.createSecureServer` (grpc-js merges `_getConstructorOptions()`
 * and `_getSecureContextOptions()` into them). `rejectUnauthorized` makes Node abort the
 * handshake for a missing or unverifiable client certificate, before any RPC is read.
 */
class MutualTls13Credentials extends ServerCredentials {
  constructor(context: { ca: Buffer; cert: Buffer; key: Buffer }) {
    const serverOptions: SecureServerOptions = { requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' };
    const contextOptions: SecureContextOptions = { ca: context.ca, cert: context.cert, key: context.key };
    super(serverOptions, contextOptions);
  }

  /** Identity: grpc-js only compares credentials to reuse a bound port. */
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Reads and checks the server certificate, its key and the client CA, and returns grpc-js
 * credentials that accept only TLS 1.3 clients presenting a certificate signed by the CA.
 * Throws {@link TlsConfigError} listing every problem; messages name the variable and the
 * path, never key material.
 */
export async function loadServerTlsCredentials(files: ServerTlsFiles): Promise<ServerCredentials> {
  const names = ['certFile', 'keyFile', 'caFile'] as const;
  const read = await Promise.allSettled(names.map((name) => readFile(files[name])));
  const problems: string[] = [];
  const pem: Partial<Record<keyof ServerTlsFiles, Buffer>> = {};
  read.forEach((result, i) => {
    const name = names[i];
    if (name === undefined) return;
    if (result.status === 'fulfilled') pem[name] = result.value;
    else {
      const code = (result.reason as NodeJS.ErrnoException).code ?? 'unknown error';
      problems.push(`${VARIABLE[name]}: cannot read ${files[name]} (${code})`);
    }
  });
  if (problems.length > 0) throw new TlsConfigError(problems);
  const { certFile: cert, keyFile: key, caFile: ca } = pem as Record<keyof ServerTlsFiles, Buffer>;

  const caProblem = checkCertificates(ca, 'a PEM CA certificate');
  if (caProblem) problems.push(`${VARIABLE.caFile}: ${files.caFile} ${caProblem}`);

  let leaf: X509Certificate | undefined;
  const certProblem = checkCertificates(cert, 'a PEM certificate');
  if (certProblem) problems.push(`${VARIABLE.certFile}: ${files.certFile} ${certProblem}`);
  else leaf = new X509Certificate(cert);

  let privateKey: ReturnType<typeof createPrivateKey> | undefined;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    // Only the error code: OpenSSL messages are safe today, but the key must never leak.
    const code = (err as { code?: unknown }).code;
    problems.push(
      `${VARIABLE.keyFile}: ${files.keyFile} is not an unencrypted PEM private key${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
  if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
    problems.push(`${VARIABLE.keyFile}: the key in ${files.keyFile} does not match the certificate in ${files.certFile}`);
  }
  if (problems.length > 0) throw new TlsConfigError(problems);
  return new MutualTls13Credentials({ ca, cert, key });
}

/**
 * The subject CN of the verified client leaf certificate, verbatim, or undefined when it is
 * absent, empty or repeated (Node gives a string[] for several CN attributes — ambiguous,
 * so no identity).
 */
export function peerCommonName(
  authContext: { sslPeerCertificate?: { subject?: Record<string, unknown> } } | undefined | null,
): string | undefined {
  const cn = authContext?.sslPeerCertificate?.subject?.['CN'];
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Undefined when the PEM holds at least one certificate and each one parses. */
function checkCertificates(pem: Buffer, what: string): string | undefined {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return `does not contain ${what}`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `certificate #${i + 1} is not a valid X.509 certificate`;
    }
  }
  return undefined;
}

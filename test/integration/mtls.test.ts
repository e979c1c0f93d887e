/**
 * The TLS layer of `TOKEN_ENGINE_TLS_MODE=mtls` on a real grpc-js server: TLS 1.3 only, a
 * client certificate required and verified, the CN reaching the handler. The product's
 * interceptors are not involved: the handler just echoes the CN it sees.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { credentials, Server, status, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenEngineClient } from '../../src/generated/token/v1/TokenEngine.js';
import { loadTokenEngineProto } from '../../src/grpc/proto.js';
import { loadServerTlsCredentials, peerCommonName, TlsConfigError } from '../../src/grpc/tls.js';
import { makeTestPki, type CertKey, type TestPki } from '../support/certs.js';
import type { WireTokenPair } from '../support/grpc-client.js';

const { proto, service } = loadTokenEngineProto();

let pki: TestPki;
let server: Server;
let port: number;
let invocations = 0;

beforeAll(async () => {
  pki = await makeTestPki();
  server = new Server();
  server.addService(service, {
    IssueToken: (call: ServerUnaryCall<unknown, WireTokenPair>, callback: sendUnaryData<WireTokenPair>) => {
      invocations += 1;
      callback(null, {
        access_token: peerCommonName(call.getAuthContext()) ?? 'none',
        refresh_token: '',
        access_token_expires_in: 0,
        refresh_token_expires_in: 0,
      });
    },
  });
  const creds = await loadServerTlsCredentials({
    certFile: pki.server.certFile,
    keyFile: pki.server.keyFile,
    caFile: pki.caFile,
  });
  port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p)));
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.tryShutdown(() => resolve()));
  await pki?.cleanup();
});

beforeEach(() => {
  invocations = 0;
});

/** One IssueToken over a fresh channel (no subchannel shared with another test). */
async function issue(identity?: CertKey): Promise<{ response?: WireTokenPair; error?: ServiceError }> {
  const channelCredentials = identity
    ? credentials.createSsl(pki.ca, identity.key, identity.cert)
    : credentials.createSsl(pki.ca);
  const client = new proto.token.v1.TokenEngine(`127.0.0.1:${port}`, channelCredentials, {
    'grpc.use_local_subchannel_pool': 1,
    // Node deprecates an IP address as TLS servername; the certificate also names localhost.
    'grpc.ssl_target_name_override': 'localhost',
  }) as TokenEngineClient;
  try {
    return await new Promise((resolve) => {
      client.IssueToken({ sub: 'u', tenant_id: 't' }, { deadline: Date.now() + 5_000 }, (error, response) => {
        resolve(error ? { error } : { response: response as WireTokenPair });
      });
    });
  } finally {
    client.close();
  }
}

/** A raw TLS handshake against the server: resolves with the outcome, never rejects. */
async function handshake(
  options: ConnectionOptions,
): Promise<{ ok: true; protocol: string | null; alpn: string | false | null } | { ok: false; error: Error }> {
  const socket = tlsConnect({
    port,
    host: '127.0.0.1',
    servername: 'localhost',
    ca: pki.ca,
    cert: pki.clients.serviceA.cert,
    key: pki.clients.serviceA.key,
    ALPNProtocols: ['h2'],
    ...options,
  });
  try {
    await once(socket, 'secureConnect');
    return { ok: true, protocol: socket.getProtocol(), alpn: socket.alpnProtocol };
  } catch (error) {
    return { ok: false, error: error as Error };
  } finally {
    socket.destroy();
  }
}

describe('mTLS server credentials', () => {
  it('accepts a client certificate from the CA and hands its CN to the handler', async () => {
    const { response, error } = await issue(pki.clients.serviceA);
    expect(error).toBeUndefined();
    expect(response?.access_token).toBe('service-a');
    expect(invocations).toBe(1);
  });

  it('tells clients apart by CN', async () => {
    expect((await issue(pki.clients.serviceB)).response?.access_token).toBe('service-b');
  });

  it('a verified certificate without a CN gives no identity', async () => {
    const { response, error } = await issue(pki.clients.noCn);
    expect(error).toBeUndefined();
    expect(response?.access_token).toBe('none');
  });

  it('refuses a client without a certificate before any handler runs', async () => {
    const { error } = await issue();
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(invocations).toBe(0);
  });

  it('refuses a certificate from an untrusted CA, even with an allowed CN', async () => {
    const { error } = await issue(pki.clients.untrusted);
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(invocations).toBe(0);
  });

  it('refuses TLS 1.2 and accepts TLS 1.3', async () => {
    const tls12 = await handshake({ maxVersion: 'TLSv1.2' });
    expect(tls12.ok).toBe(false);
    // The server answers with a protocol_version alert (70).
    expect(!tls12.ok && (tls12.error as NodeJS.ErrnoException).code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    const tls13 = await handshake({ minVersion: 'TLSv1.3' });
    expect(tls13).toEqual({ ok: true, protocol: 'TLSv1.3', alpn: 'h2' });
  });

  it('survives garbage bytes on the socket and keeps serving', async () => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    socket.on('error', () => {});
    socket.end(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\x16\x03\x01garbage'.repeat(20), 'latin1'));
    await once(socket, 'close');
    const { response } = await issue(pki.clients.serviceA);
    expect(response?.access_token).toBe('service-a');
  });
});

describe('loadServerTlsCredentials errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tls-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function failure(files: { certFile?: string; keyFile?: string; caFile?: string }): Promise<TlsConfigError> {
    const err = await loadServerTlsCredentials({
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      caFile: pki.caFile,
      ...files,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('PRIVATE KEY');
    expect(message).not.toContain(pki.server.key.toString('utf8').split('\n')[1]);
    return err as TlsConfigError;
  }

  async function file(name: string, content: string | Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  }

  it.each([
    ['certFile', 'TOKEN_ENGINE_TLS_CERT_FILE'],
    ['keyFile', 'TOKEN_ENGINE_TLS_KEY_FILE'],
    ['caFile', 'TOKEN_ENGINE_TLS_CA_FILE'],
  ])('a missing %s names %s, the path and ENOENT', async (field, variable) => {
    const missing = join(dir, `missing-${field}.pem`);
    const err = await failure({ [field]: missing });
    expect(err.message).toContain(variable);
    expect(err.message).toContain(missing);
    expect(err.message).toContain('ENOENT');
  });

  it('a key that does not match the certificate', async () => {
    const err = await failure({ keyFile: await file('other.key', pki.clients.serviceA.key) });
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain('TOKEN_ENGINE_TLS_KEY_FILE');
    expect(err.message).toContain('does not match');
  });

  it('a key file that is not a key', async () => {
    const err = await failure({ keyFile: await file('not-a-key.pem', pki.server.cert) });
    expect(err.message).toContain('TOKEN_ENGINE_TLS_KEY_FILE');
  });

  it('a CA file that is not a certificate', async () => {
    const err = await failure({ caFile: await file('ca-is-a-key.pem', pki.server.key) });
    expect(err.message).toContain('TOKEN_ENGINE_TLS_CA_FILE');
  });

  it('a corrupt certificate', async () => {
    const err = await failure({
      certFile: await file('corrupt.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    });
    expect(err.message).toContain('TOKEN_ENGINE_TLS_CERT_FILE');
  });
});

describe('peerCommonName', () => {
  it.each([
    [undefined, undefined],
    [{}, undefined],
    [{ sslPeerCertificate: {} }, undefined],
    [{ sslPeerCertificate: { subject: {} } }, undefined],
    [{ sslPeerCertificate: { subject: { CN: '' } } }, undefined],
    [{ sslPeerCertificate: { subject: { CN: ['a', 'b'] } } }, undefined],
    [{ sslPeerCertificate: { subject: { CN: 42 } } }, undefined],
    [{ sslPeerCertificate: { subject: { CN: ' svc ' } } }, ' svc '],
    [{ sslPeerCertificate: { subject: { CN: 'svc' } } }, 'svc'],
  ])('%j → %j', (context, expected) => {
    expect(peerCommonName(context)).toBe(expected);
  });
});

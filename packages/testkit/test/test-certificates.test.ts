import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCertificates } from '../src/index.js';

const certificates = createTestCertificates();

afterAll(() => {
  certificates.close();
});

/** A TLS server on 127.0.0.1 that requires a client certificate signed by the test CA. */
async function mutualTlsServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(
    {
      cert: certificates.server.certPem,
      key: certificates.server.keyPem,
      ca: certificates.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => socket.end('hello'),
  );
  // A refused handshake is what some cases expect; it must not crash the test run.
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Connects and resolves with what the server sent, or rejects with the handshake's error. */
function talk(port: number, options: { ca: string; cert?: string; key?: string; servername?: string }) {
  return new Promise<string>((resolve, reject) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ...options });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('createTestCertificates', () => {
  it('writes a CA, server and client certificates that openssl verifies, keys readable only by the owner', () => {
    const verify = (ca: string, cert: string) =>
      execFileSync('openssl', ['verify', '-CAfile', ca, cert], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
    expect(verify(certificates.ca.certFile, certificates.server.certFile)).toContain(': OK');
    expect(verify(certificates.ca.certFile, certificates.client.certFile)).toContain(': OK');
    expect(() => verify(certificates.ca.certFile, certificates.untrustedClient.certFile)).toThrow();
    for (const pair of [certificates.ca, certificates.server, certificates.client]) {
      expect(statSync(pair.keyFile).mode & 0o777).toBe(0o600);
      expect(pair.keyPem).toContain('PRIVATE KEY');
      expect(pair.certPem).toContain('BEGIN CERTIFICATE');
    }
  });

  it('a mutual-TLS handshake on 127.0.0.1 and localhost succeeds with the client certificate', async () => {
    const server = await mutualTlsServer();
    try {
      const client = {
        ca: certificates.ca.certPem,
        cert: certificates.client.certPem,
        key: certificates.client.keyPem,
      };
      expect(await talk(server.port, client)).toBe('hello');
      expect(await talk(server.port, { ...client, servername: 'localhost' })).toBe('hello');
    } finally {
      await server.close();
    }
  });

  it('refuses: a client that trusts another CA, a missing client certificate, an untrusted client certificate', async () => {
    const server = await mutualTlsServer();
    try {
      const client = { cert: certificates.client.certPem, key: certificates.client.keyPem };
      await expect(talk(server.port, { ...client, ca: certificates.untrustedCa.certPem })).rejects.toThrow(
        /certificate/i,
      );
      await expect(talk(server.port, { ca: certificates.ca.certPem })).rejects.toThrow(/certificate/i);
      // Under TLS 1.3 the server judges the client certificate after the client's side of the handshake is
      // done: the client sees an alert or a close without the greeting, never the greeting.
      const untrusted = await talk(server.port, {
        ca: certificates.ca.certPem,
        cert: certificates.untrustedClient.certPem,
        key: certificates.untrustedClient.keyPem,
      }).catch((error: Error) => error.message);
      expect(untrusted).not.toBe('hello');
    } finally {
      await server.close();
    }
  });

  it('writes PKCS#12 bundles, makes RSA keys on request, and close() removes every file', () => {
    const rsa = createTestCertificates({ keyAlgorithm: 'rsa' });
    const bundle = rsa.pkcs12(rsa.server, 'secret');
    expect(existsSync(bundle)).toBe(true);
    const text = execFileSync('openssl', ['pkey', '-in', rsa.server.keyFile, '-noout', '-text'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    expect(text).toContain('2048 bit');
    rsa.close();
    expect(existsSync(rsa.dir)).toBe(false);
  });
});

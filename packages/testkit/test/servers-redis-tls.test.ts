import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCertificates, startRedis } from '../src/index.js';

const certificates = createTestCertificates();
afterAll(() => certificates.close());

/** Sends raw RESP lines over TLS and resolves with the first `replies` reply lines. */
function tlsExchange(
  port: number,
  lines: string[],
  replies: number,
  withClientCert = true,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: certificates.ca.certPem,
      ...(withClientCert ? { cert: certificates.client.certPem, key: certificates.client.keyPem } : {}),
    });
    let received = '';
    socket.once('secureConnect', () => socket.write(lines.map((line) => `${line}\r\n`).join('')));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const got = received.split('\r\n').filter((line) => line !== '');
      if (got.length < replies) return;
      socket.destroy();
      resolve(got.slice(0, replies));
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed after ${JSON.stringify(received)}`)));
  });
}

describe('startRedis with tls and users', () => {
  it('serves TLS only, with client certificates and ACL users, and tells its rediss:// URL', async () => {
    const server = await startRedis({
      tls: certificates,
      users: [
        ['default', 'off'],
        ['alice', 'on', '>s3cret', '~*', '&*', '+@all'],
      ],
    });
    try {
      expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
      expect(await tlsExchange(server.port, ['PING'], 1)).toEqual([expect.stringMatching(/^-NOAUTH/)]);
      expect(await tlsExchange(server.port, ['AUTH alice s3cret', 'PING'], 2)).toEqual(['+OK', '+PONG']);
      await expect(tlsExchange(server.port, ['PING'], 1, false)).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});

import { inspect } from 'node:util';
import { InvalidArgumentError, InvalidConfigError, LockBackendError } from '@lock/core';
import { type EtcdCluster, startEtcd } from '@lock/testkit';
import { createTestCertificates, type TestCertificates } from '@lock/testkit/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProvider,
  EtcdAccessError,
  type EtcdAccessProblem,
  EtcdProvider,
  type EtcdTlsConfig,
} from '../src/index.js';

let certs: TestCertificates;
/** Requires a client certificate signed by the CA (`--client-cert-auth`). */
let mutual: EtcdCluster;
const providers: EtcdProvider[] = [];

function provider(
  cluster: EtcdCluster,
  tls: EtcdTlsConfig | undefined,
  auth?: { username: string; password: string },
): EtcdProvider {
  const created = new EtcdProvider({
    endpoints: cluster.endpoints,
    ...(tls ? { tls } : {}),
    ...(auth ? { auth } : {}),
  });
  providers.push(created);
  return created;
}

/** Every string an error carries (message, cause chain, stack, fields), for "never contains the key". */
function errorText(error: unknown): string {
  return `${inspect(error, { depth: 8 })}\n${error instanceof Error ? error.stack : ''}`;
}

/** The refusal of an acquisition on `cluster` with `tls` (it must not wait: no timeout is given). */
async function refusal(
  cluster: EtcdCluster,
  tls: EtcdTlsConfig | undefined,
  auth?: { username: string; password: string },
): Promise<LockBackendError> {
  const acquiring = provider(cluster, tls, auth).lock('tls').acquire();
  const outcome = await Promise.race([
    acquiring.then(
      () => 'granted' as const,
      (error: unknown) => error,
    ),
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 20_000).unref()),
  ]);
  expect(outcome).not.toBe('granted');
  expect(outcome).not.toBe('still waiting');
  expect(LockBackendError.isInstance(outcome)).toBe(true);
  const text = errorText(outcome);
  for (const pair of [certs.client, certs.untrustedClient, certs.server]) {
    expect(text).not.toContain(pair.keyPem.split('\n')[1]);
  }
  return outcome as LockBackendError;
}

function problemOf(error: LockBackendError): EtcdAccessProblem | undefined {
  return error.cause instanceof EtcdAccessError ? error.cause.problem : undefined;
}

beforeAll(async () => {
  certs = createTestCertificates();
  mutual = await startEtcd({
    tls: {
      certFile: certs.server.certFile,
      keyFile: certs.server.keyFile,
      trustedCaFile: certs.ca.certFile,
      clientCertAuth: true,
      clientCertFile: certs.client.certFile,
      clientKeyFile: certs.client.keyFile,
    },
  });
});

afterAll(async () => {
  await Promise.allSettled(providers.map((each) => each.close()));
  await mutual?.close();
  certs?.close();
});

describe('TLS with client certificates', () => {
  it('https endpoints with the CA and a client certificate: locks, queues, reports status and the server', async () => {
    expect(mutual.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const tls = { caFile: certs.ca.certFile, certFile: certs.client.certFile, keyFile: certs.client.keyFile };
    const first = provider(mutual, tls);
    const second = createProvider({ endpoints: mutual.endpoints, tls });
    providers.push(second);
    const holder = await first.lock('tls-ok').acquire();
    expect(await second.lock('tls-ok').tryAcquire()).toBeNull();
    const waiting = second.lock('tls-ok').acquire({ timeoutMs: 10_000 });
    const status = await second.status('tls-ok');
    expect(status.holders[0]?.token).toBe(holder.token);
    await holder.release();
    const next = await waiting;
    expect(next.token).toBeGreaterThan(holder.token);
    await next.release();
    const described = await first.describe();
    expect(described.server).toMatch(/^etcd 3\./);
    expect(inspect(described, { depth: 8 })).not.toContain(certs.client.keyPem.split('\n')[1]);
  });

  it('no client certificate: refused at once, naming tls.certFile and tls.keyFile', async () => {
    const error = await refusal(mutual, { caFile: certs.ca.certFile });
    expect(problemOf(error)).toBe('client-certificate-missing');
    expect(error.message).toContain('the server requires a client certificate and none is configured');
  });

  it('no client certificate, with auth: etcd3 authenticates first and gRPC then names no cause; a handshake of our own finds it', async () => {
    const error = await refusal(
      mutual,
      { caFile: certs.ca.certFile },
      { username: 'locker', password: 'pw-SECRET' },
    );
    expect(problemOf(error)).toBe('client-certificate-missing');
    expect(errorText(error)).not.toContain('pw-SECRET');
  });

  it('a client certificate from an untrusted CA: refused at once, naming the certificate file', async () => {
    const error = await refusal(mutual, {
      caFile: certs.ca.certFile,
      certFile: certs.untrustedClient.certFile,
      keyFile: certs.untrustedClient.keyFile,
    });
    expect(problemOf(error)).toBe('client-certificate-refused');
    expect(error.message).toContain(`tls.certFile ${JSON.stringify(certs.untrustedClient.certFile)}`);
  });

  it('a server certificate the configured CA did not sign: refused at once, naming tls.caFile', async () => {
    const error = await refusal(mutual, {
      caFile: certs.untrustedCa.certFile,
      certFile: certs.client.certFile,
      keyFile: certs.client.keyFile,
    });
    expect(problemOf(error)).toBe('server-certificate-untrusted');
    expect(error.message).toContain(
      `not signed by the CA in tls.caFile ${JSON.stringify(certs.untrustedCa.certFile)}`,
    );
  });

  it('mutant: a server that asks for no client certificate (no --client-cert-auth, no --trusted-ca-file) lets the same certificate-less client lock', async () => {
    const open = await startEtcd({
      tls: {
        certFile: certs.server.certFile,
        keyFile: certs.server.keyFile,
        // No --trusted-ca-file either: etcd 3.4 verifies client certificates whenever it has one.
        caFile: certs.ca.certFile,
      },
    });
    try {
      const lease = await provider(open, { caFile: certs.ca.certFile })
        .lock('tls')
        .acquire({ timeoutMs: 10_000 });
      expect(lease.held).toBe(true);
      await lease.release();
    } finally {
      await open.close();
    }
  });

  it('the tls setting is checked before any I/O: https only, certFile with keyFile, readable files', () => {
    const thrown = (run: () => unknown): InvalidArgumentError => {
      try {
        run();
      } catch (error) {
        expect(InvalidArgumentError.isInstance(error)).toBe(true);
        return error as InvalidArgumentError;
      }
      throw new Error('expected InvalidArgumentError');
    };
    const plain = thrown(() =>
      createProvider({ endpoints: ['http://127.0.0.1:2379'], tls: { caFile: certs.ca.certFile } }),
    );
    expect(plain.parameter).toBe('options.tls');
    expect(plain.message).toContain('tls only with https:// endpoints');
    const half = thrown(() =>
      createProvider({
        endpoints: mutual.endpoints,
        tls: { caFile: certs.ca.certFile, certFile: certs.client.certFile },
      }),
    );
    expect(InvalidConfigError.isInstance(half)).toBe(true);
    expect(half.message).toContain(
      'config.tls: expected an object with both certFile and keyFile, or neither',
    );
    const missing = thrown(() =>
      createProvider({ endpoints: mutual.endpoints, tls: { caFile: `${certs.dir}/absent.crt` } }),
    );
    expect(missing.parameter).toBe('options.tls.caFile');
    expect(missing.message).toContain('ENOENT');
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, InvalidConfigError, LockBackendError } from '@lock/core';
import {
  createTestCertificates,
  type PostgresServer,
  startPostgres,
  type TestCertificates,
} from '@lock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, PostgresProvider } from '../src/index.js';

// One server with ssl=on whose pg_hba.conf lets the role `locker` in over TLS only, with a client certificate
// signed by the test CA and a scram-sha-256 password.
const PASSWORD = 'pg-Pass-never-shown';
let certificates: TestCertificates;
let server: PostgresServer;
let passwordFile: string;

beforeAll(async () => {
  certificates = createTestCertificates();
  passwordFile = join(certificates.dir, 'pg-password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  server = await startPostgres({ tls: certificates, passwords: { locker: PASSWORD } });
  // `locker` is an ordinary role: it may not create the fence sequence, so the superuser does, once.
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(
      'CREATE SEQUENCE lock_fence AS bigint; GRANT USAGE, SELECT ON SEQUENCE lock_fence TO locker',
    );
  } finally {
    await admin.end();
  }
});

afterAll(async () => {
  await server?.close();
  certificates?.close();
});

/** The settings that let `locker` in: CA, client certificate (file and PEM both work) and password file. */
function secure() {
  return {
    url: `postgres://locker@127.0.0.1:${server.port}/postgres?sslmode=verify-full`,
    ssl: {
      ca: certificates.ca.certFile,
      cert: certificates.client.certFile,
      key: certificates.client.keyPem,
    },
    passwordFile,
    ttlMs: 3_000,
    connectTimeoutMs: 5_000,
  };
}

/** Every message down the cause chain. */
function messages(error: unknown): string {
  const lines: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) lines.push(current.message);
  return lines.join('\n');
}

/** A refused acquire: a LockBackendError that says why and shows neither the password nor a key. */
async function refusedAcquire(settings: Parameters<typeof createProvider>[0]): Promise<string> {
  const provider = createProvider(settings);
  try {
    const error = await provider
      .lock('tls-refused')
      .acquire({ timeoutMs: 5_000 })
      .then(
        () => new Error('expected a rejection'),
        (caught: unknown) => caught,
      );
    expect(LockBackendError.isInstance(error), messages(error)).toBe(true);
    const text = messages(error);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('PRIVATE KEY');
    return text;
  } finally {
    await provider.close();
  }
}

function thrownBy(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('postgres over TLS with a scram-sha-256 password', () => {
  it('locks with CA, client certificate and password file (sslmode=verify-full in the URL)', async () => {
    const provider = createProvider(secure());
    try {
      const first = await provider.lock('tls-a').acquire();
      // A waiter opens a session of its own: it is let in the same way.
      const second = provider.lock('tls-a').acquire({ timeoutMs: 10_000 });
      await first.release();
      const lease = await second;
      expect(lease.token).toBeGreaterThan(first.token);
      expect(await lease.release()).toBe(true);
      // status() reads over the provider's main session, also over TLS.
      const holders = await provider
        .lock('tls-b')
        .withLock(async () => (await provider.status('tls-b')).holders);
      expect(holders).toHaveLength(1);
    } finally {
      await provider.close();
    }
  });

  it('a password given directly and PEM text for every file work too (provider options)', async () => {
    const { passwordFile: _file, ...rest } = secure();
    const provider = new PostgresProvider({
      ...rest,
      password: PASSWORD,
      ssl: {
        ca: certificates.ca.certPem,
        cert: certificates.client.certPem,
        key: certificates.client.keyPem,
      },
    });
    try {
      const lease = await provider.lock('tls-c').acquire();
      expect(await lease.release()).toBe(true);
    } finally {
      await provider.close();
    }
  });

  it('mutant: without the ssl settings the same URL is refused (the happy path is not a plain server)', async () => {
    const { ssl: _ssl, ...rest } = secure();
    const text = await refusedAcquire(rest);
    expect(text).toMatch(/certificate/i);
  });

  it('a wrong password: LockBackendError naming the failed password authentication', async () => {
    const { passwordFile: _file, ...rest } = secure();
    const text = await refusedAcquire({ ...rest, password: 'not-the-password' });
    expect(text).toContain('password authentication failed for user "locker"');
    expect(text).not.toContain('not-the-password');
  });

  it('an untrusted server certificate: LockBackendError naming the certificate problem', async () => {
    const settings = secure();
    const text = await refusedAcquire({
      ...settings,
      ssl: { ...settings.ssl, ca: certificates.untrustedCa.certPem },
    });
    expect(text).toMatch(/certificate/i);
  });

  it('no client certificate: LockBackendError saying the server wants one', async () => {
    const settings = secure();
    const text = await refusedAcquire({ ...settings, ssl: { ca: settings.ssl.ca } });
    expect(text).toContain('requires a valid client certificate');
  });

  it('refuses bad security settings before connecting, naming them', () => {
    const both = thrownBy(() => createProvider({ ...secure(), password: PASSWORD }));
    expect(InvalidConfigError.isInstance(both)).toBe(true);
    expect(both.message).toContain('passwordFile');
    expect(both.message).not.toContain(PASSWORD);

    const certOnly = thrownBy(() =>
      createProvider({ ...secure(), ssl: { cert: certificates.client.certFile } }),
    );
    expect(certOnly.message).toContain('ssl.cert and ssl.key');

    const disabled = thrownBy(() =>
      createProvider({
        ...secure(),
        url: `postgres://locker@127.0.0.1:${server.port}/postgres?sslmode=disable`,
      }),
    );
    expect(disabled.message).toContain('sslmode=disable');

    const missing = thrownBy(() =>
      createProvider({ ...secure(), ssl: { ca: join(certificates.dir, 'absent.crt') } }),
    );
    expect(InvalidArgumentError.isInstance(missing)).toBe(true);
    expect(missing.message).toContain('ssl.ca');
    expect(missing.message).toContain('ENOENT');
  });
});

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificates, type PostgresServer, postgresBinDir, startPostgres } from '../src/index.js';

const certificates = createTestCertificates();
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres({ tls: certificates, passwords: { locker: "it's-secret" } });
});
afterAll(async () => {
  await server?.close();
  certificates.close();
});

/** Runs one query with psql over TCP; returns its output, or throws with psql's message. */
function psql(connection: string, password: string | undefined, sql: string): string {
  try {
    return execFileSync(join(postgresBinDir(), 'psql'), [connection, '-At', '-c', sql], {
      env: {
        ...process.env,
        ...(password === undefined ? {} : { PGPASSWORD: password }),
        PGCONNECT_TIMEOUT: '5',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .toString()
      .trim();
  } catch (error) {
    throw new Error(String((error as { stderr?: Buffer }).stderr ?? error));
  }
}

describe('startPostgres with tls and passwords', () => {
  const tls = () =>
    `sslmode=verify-full sslrootcert=${certificates.ca.certFile} sslcert=${certificates.client.certFile} sslkey=${certificates.client.keyFile}`;
  const locker = () => `host=127.0.0.1 port=${server.port} dbname=postgres user=locker`;

  it('lets a role in over TLS with its client certificate and SCRAM password', () => {
    const row = psql(
      `${locker()} ${tls()}`,
      "it's-secret",
      'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(row).toBe('locker|t');
  });

  it('refuses a wrong password, a missing client certificate and a plain connection', () => {
    expect(() => psql(`${locker()} ${tls()}`, 'wrong', 'SELECT 1')).toThrow(/password authentication failed/);
    expect(() =>
      psql(
        `${locker()} sslmode=verify-full sslrootcert=${certificates.ca.certFile}`,
        "it's-secret",
        'SELECT 1',
      ),
    ).toThrow(/certificate/);
    expect(() => psql(`${locker()} sslmode=disable`, "it's-secret", 'SELECT 1')).toThrow(
      /no pg_hba.conf entry/,
    );
  });

  it('the superuser keeps trust on loopback (the testkit url works as before)', () => {
    expect(psql(server.url, undefined, 'SELECT current_user')).toBe('postgres');
  });
});

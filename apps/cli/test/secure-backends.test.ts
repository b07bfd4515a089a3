import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTestCertificates,
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
  type TestCertificates,
} from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

// Servers started with TLS and passwords; `lock run`, `lock status` and `lock explain` given a secret in every
// place one can be given (URL user info, password, passwordFile, key PEM). A refused connection is a backend
// error (exit 69) that says what failed; no output ever holds a secret.
const URL_SECRET = 'url-SECRET-1';
const PASSWORD = 'pw-SECRET-2';
const FILE_PASSWORD = 'file-SECRET-3';
const SECRETS = [URL_SECRET, PASSWORD, FILE_PASSWORD, 'PRIVATE KEY'];

const dir = mkdtempSync(join(tmpdir(), 'lock-cli-secure-'));
let certificates: TestCertificates;
let redis: RedisServer;
let postgres: PostgresServer;
let passwordFile: string;

beforeAll(async () => {
  certificates = createTestCertificates();
  passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${FILE_PASSWORD}\n`, { mode: 0o600 });
  redis = await startRedis({
    tls: certificates,
    users: [
      ['default', 'off'],
      ['locker', 'on', `>${FILE_PASSWORD}`, '~*', '&*', '+@all'],
    ],
  });
  postgres = await startPostgres({ tls: certificates, passwords: { locker: FILE_PASSWORD } });
  // The CLI finds backend packages in the configuration's directory too: @lock/postgres is not a dependency of
  // the CLI, so link this repository's copy there.
  const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages');
  mkdirSync(join(dir, 'node_modules', '@lock'), { recursive: true });
  symlinkSync(join(packages, 'postgres'), join(dir, 'node_modules', '@lock', 'postgres'));
}, 60_000);

afterAll(async () => {
  await redis?.close();
  await postgres?.close();
  certificates?.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, backend: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({ backends: { secure: backend }, policies: { '*': { scope: 'cluster' } } }),
  );
  return path;
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text, text).not.toContain(secret);
}

/** Every command that prints settings, addresses or errors, with `config`: their outputs, joined. */
async function everyOutput(
  config: string,
): Promise<{ run: Awaited<ReturnType<typeof runCli>>; all: string }> {
  const run = await runCli(['run', 'x', '--timeout', '3000', '--config', config, '--', 'true'], { cwd: dir });
  let all = run.stdout + run.stderr;
  for (const args of [
    ['status', 'x'],
    ['status', 'x', '--json'],
    ['explain', 'x'],
    ['explain', 'x', '--json'],
  ]) {
    const result = await runCli([args[0]!, '--config', config, ...args.slice(1)], { cwd: dir });
    all += result.stdout + result.stderr;
  }
  return { run, all };
}

function redisBackend(overrides: Record<string, unknown> = {}) {
  return {
    kind: 'redis',
    url: `rediss://locker:${URL_SECRET}@127.0.0.1:${redis.port}`,
    tls: {
      ca: certificates.ca.certFile,
      cert: certificates.client.certFile,
      key: certificates.client.keyPem,
    },
    username: 'locker',
    passwordFile,
    commandTimeoutMs: 2000,
    ...overrides,
  };
}

function postgresBackend(overrides: Record<string, unknown> = {}) {
  return {
    kind: 'postgres',
    url: `postgres://locker:${URL_SECRET}@127.0.0.1:${postgres.port}/postgres?sslmode=verify-full`,
    ssl: {
      ca: certificates.ca.certFile,
      cert: certificates.client.certFile,
      key: certificates.client.keyPem,
    },
    passwordFile,
    connectTimeoutMs: 3000,
    ...overrides,
  };
}

describe('lock with TLS and authentication', () => {
  it('redis: runs the command over rediss:// with a client certificate and an ACL password file', async () => {
    const { run, all } = await everyOutput(writeConfig('redis-ok.json', redisBackend()));
    expect(run.code, run.stderr).toBe(0);
    expectNoSecret(all);
  }, 60_000);

  it('redis: a wrong password exits 69 naming WRONGPASS, without the password', async () => {
    const config = writeConfig(
      'redis-wrong.json',
      redisBackend({ passwordFile: undefined, password: PASSWORD }),
    );
    const { run, all } = await everyOutput(config);
    expect(run.code, run.stderr).toBe(69);
    expect(run.stderr).toContain('WRONGPASS');
    expectNoSecret(all);
  }, 60_000);

  it('redis: an untrusted server certificate exits 69 naming it', async () => {
    const config = writeConfig(
      'redis-untrusted.json',
      redisBackend({ tls: { ca: certificates.untrustedCa.certPem } }),
    );
    const { run, all } = await everyOutput(config);
    expect(run.code, run.stderr).toBe(69);
    expect(run.stderr).toMatch(/certificate/);
    expectNoSecret(all);
  }, 60_000);

  it('postgres: runs the command over TLS with a client certificate and a SCRAM password file', async () => {
    const admin = await runCli(['explain', 'x', '--config', writeConfig('pg-ok.json', postgresBackend())], {
      cwd: dir,
    });
    expect(admin.code, admin.stderr).toBe(0);
    // The role may not create the fence sequence; the superuser makes it once (over the trusted loopback line).
    const { execFileSync } = await import('node:child_process');
    const { postgresBinDir } = await import('@lock/testkit');
    execFileSync(join(postgresBinDir(), 'psql'), [
      postgres.url,
      '-c',
      'CREATE SEQUENCE IF NOT EXISTS lock_fence AS bigint; GRANT USAGE, SELECT ON SEQUENCE lock_fence TO locker',
    ]);
    const { run, all } = await everyOutput(join(dir, 'pg-ok.json'));
    expect(run.code, run.stderr).toBe(0);
    expectNoSecret(all);
  }, 60_000);

  it('postgres: a wrong password exits 69 naming the failed authentication, without the password', async () => {
    const config = writeConfig(
      'pg-wrong.json',
      postgresBackend({ passwordFile: undefined, password: PASSWORD }),
    );
    const { run, all } = await everyOutput(config);
    expect(run.code, run.stderr).toBe(69);
    expect(run.stderr).toContain('password authentication failed for user "locker"');
    expectNoSecret(all);
  }, 60_000);

  it('postgres: a missing client certificate exits 69 naming it', async () => {
    const config = writeConfig('pg-no-cert.json', postgresBackend({ ssl: { ca: certificates.ca.certFile } }));
    const { run, all } = await everyOutput(config);
    expect(run.code, run.stderr).toBe(69);
    expect(run.stderr).toContain('requires a valid client certificate');
    expectNoSecret(all);
  }, 60_000);

  it('mutant: the leak check sees a secret that is printed (a config error quoting a URL as written is caught)', async () => {
    // The check must be able to fail: the configuration file itself holds every secret.
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(dir, 'redis-ok.json'), 'utf8');
    expect(() => expectNoSecret(text)).toThrow();
  });
});

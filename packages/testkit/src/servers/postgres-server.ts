import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { freePort } from './free-ports.js';
import { MissingBinaryError } from './missing-binary-error.js';
import { ServerHandle } from './server-handle.js';
import { ServerProcess } from './server-process.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import type { TestCertificates } from './test-certificates.js';

/** Options for {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Extra `-c name=value` server settings, e.g. `['max_connections=200']`. */
  settings?: string[];
  /** Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * `ssl=on` with these certificates' server certificate, key and CA (copied into the data directory). TCP
   * clients other than the superuser must then use TLS (`hostssl` lines only), and present a client
   * certificate signed by the CA unless `requireClientCertificate` is false.
   */
  tls?: TestCertificates;
  /** With `tls`: `clientcert=verify-ca` on the `hostssl` lines. Default true. */
  requireClientCertificate?: boolean;
  /**
   * Login roles to create, with their passwords (stored as SCRAM-SHA-256): TCP clients other than the
   * superuser must then authenticate with `scram-sha-256`. The superuser keeps trust authentication, so the
   * testkit's own connections and {@link PostgresServer.url} go on working.
   */
  passwords?: Record<string, string>;
}

/** The superuser `initdb` creates, with `trust` authentication on loopback. */
const SUPERUSER = 'postgres';

/**
 * One PostgreSQL server on 127.0.0.1, in a data directory made by `initdb` in its own temp directory, with
 * trust authentication and `fsync=off` (a restart after a kill keeps what was committed, an OS crash would
 * not: enough for tests). PostgreSQL refuses to run as root: when the testkit runs as root, `initdb` and
 * `postgres` run as the `postgres` user (the process is started with its uid, so the PID is the server's
 * own). `stop()` is an immediate shutdown (SIGQUIT): a smart shutdown would wait for every client.
 */
export class PostgresServer extends ServerHandle implements AsyncDisposable {
  readonly host = '127.0.0.1';
  readonly port: number;
  /** Temp directory holding the data directory, the socket and the log; removed by {@link close}. */
  readonly dir: string;
  /** The superuser to connect as (no password). */
  readonly user = SUPERUSER;
  /** The database every test can use. */
  readonly database = 'postgres';
  protected readonly process: ServerProcess;

  /** @internal Use {@link startPostgres}. */
  constructor(
    port: number,
    dir: string,
    binDir: string,
    owner: { uid: number; gid: number } | undefined,
    options: StartPostgresOptions,
  ) {
    super();
    this.port = port;
    this.dir = dir;
    const args = [
      '-D',
      join(dir, 'data'),
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ];
    if (options.tls !== undefined)
      args.push(
        '-c',
        'ssl=on',
        '-c',
        `ssl_cert_file=${SERVER_CERT}`,
        '-c',
        `ssl_key_file=${SERVER_KEY}`,
        '-c',
        `ssl_ca_file=${SERVER_CA}`,
      );
    for (const setting of options.settings ?? []) args.push('-c', setting);
    this.process = new ServerProcess({
      name: `postgres 127.0.0.1:${port}`,
      command: join(binDir, 'postgres'),
      args,
      cwd: dir,
      logFile: join(dir, 'postgres.log'),
      ready: () => acceptsConnections(join(dir, 'data'), port),
      readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
      uid: owner?.uid,
      gid: owner?.gid,
      stopSignal: 'SIGQUIT',
    });
  }

  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  get url(): string {
    return `postgres://${this.user}@${this.host}:${this.port}/${this.database}`;
  }

  /** Last lines of the server log. */
  logTail(lines?: number): string {
    return this.process.logTail(lines);
  }

  /** Stops the server (immediate shutdown, then SIGKILL) and removes its temp directory. */
  async close(): Promise<void> {
    await this.process.stop();
    removeTempDir(this.dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Finds PostgreSQL's server binaries: on PATH (`postgres` and `initdb` side by side), else Debian's
 * `/usr/lib/postgresql/<major>/bin`, the highest major first.
 *
 * @throws MissingBinaryError naming the apt package `postgresql` when they are not installed.
 */
export function postgresBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    // A link on PATH (to Debian's directory, say) leads to the directory that holds every tool of the version.
    if (dir !== '' && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb')))
      return dirname(realpathSync(join(dir, 'postgres')));
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((major) => existsSync(join(base, major, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0] !== undefined) return join(base, majors[0], 'bin');
  }
  throw new MissingBinaryError('postgres (apt package postgresql)');
}

/**
 * Runs `initdb` in a new temp directory and starts `postgres` on a free loopback port; waits until it
 * accepts connections.
 *
 * @throws MissingBinaryError (with the apt-get command) when PostgreSQL is not installed.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const dir = createTempDir('lock-testkit-postgres-');
    try {
      initDataDir(binDir, dir, owner);
      if (options.tls !== undefined || options.passwords !== undefined) secureDataDir(dir, owner, options);
    } catch (error) {
      removeTempDir(dir);
      throw error;
    }
    const server = new PostgresServer(port, dir, binDir, owner, options);
    try {
      await server.start();
      if (options.passwords !== undefined) createRoles(binDir, dir, port, owner, options.passwords);
      return server;
    } catch (error) {
      const portTaken = server.logTail().includes('Address already in use');
      removeTempDir(dir);
      if (!portTaken || attempt >= 3) throw error;
    }
  }
}

/**
 * Starts a streaming-replication standby of `primary` on a free loopback port: `pg_basebackup -R` of the
 * primary into a new temp directory (trust authentication on loopback covers replication), then `postgres`
 * on it. It accepts read-only connections until promoted (`SELECT pg_promote()`).
 */
export async function startPostgresStandby(
  primary: PostgresServer,
  options: StartPostgresOptions = {},
): Promise<PostgresServer> {
  const binDir = postgresBinDir();
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const port = await freePort();
  const dir = createTempDir('lock-testkit-postgres-standby-');
  try {
    if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
    execFileSync(
      join(binDir, 'pg_basebackup'),
      [
        '-h',
        primary.host,
        '-p',
        String(primary.port),
        '-U',
        primary.user,
        '-D',
        join(dir, 'data'),
        '-R',
        '-X',
        'stream',
        '--no-sync',
      ],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(owner === undefined ? {} : { uid: owner.uid, gid: owner.gid }),
      },
    );
  } catch (error) {
    removeTempDir(dir);
    throw error;
  }
  const server = new PostgresServer(port, dir, binDir, owner, options);
  try {
    await server.start();
  } catch (error) {
    removeTempDir(dir);
    throw error;
  }
  return server;
}

function initDataDir(binDir: string, dir: string, owner: { uid: number; gid: number } | undefined): void {
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (owner !== undefined) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(data, owner.uid, owner.gid);
  }
  execFileSync(
    join(binDir, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', SUPERUSER, '--no-sync', '--no-instructions', '-E', 'UTF8'],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      ...(owner === undefined ? {} : { uid: owner.uid, gid: owner.gid }),
    },
  );
}

const SERVER_CERT = 'server.crt';
const SERVER_KEY = 'server.key';
const SERVER_CA = 'ca.crt';

/**
 * Copies the TLS files into the data directory (PostgreSQL refuses a key file others can read) and writes
 * `pg_hba.conf`: the superuser keeps trust (Unix socket and loopback), everyone else needs TLS when `tls` is
 * given (with a client certificate unless told otherwise) and a SCRAM password when `passwords` are.
 */
function secureDataDir(
  dir: string,
  owner: { uid: number; gid: number } | undefined,
  options: StartPostgresOptions,
): void {
  const data = join(dir, 'data');
  const own = (file: string, mode: number) => {
    chmodSync(file, mode);
    if (owner !== undefined) chownSync(file, owner.uid, owner.gid);
  };
  if (options.tls !== undefined) {
    copyFileSync(options.tls.server.certFile, join(data, SERVER_CERT));
    copyFileSync(options.tls.server.keyFile, join(data, SERVER_KEY));
    copyFileSync(options.tls.ca.certFile, join(data, SERVER_CA));
    own(join(data, SERVER_CERT), 0o644);
    own(join(data, SERVER_KEY), 0o600);
    own(join(data, SERVER_CA), 0o644);
  }
  const method = options.passwords === undefined ? 'trust' : 'scram-sha-256';
  const clientCert =
    options.tls !== undefined && options.requireClientCertificate !== false ? ' clientcert=verify-ca' : '';
  const lines = [
    `local all all trust`,
    `host all ${SUPERUSER} 127.0.0.1/32 trust`,
    `host replication ${SUPERUSER} 127.0.0.1/32 trust`,
    options.tls === undefined
      ? `host all all 127.0.0.1/32 ${method}`
      : `hostssl all all 127.0.0.1/32 ${method}${clientCert}`,
  ];
  writeFileSync(join(data, 'pg_hba.conf'), `${lines.join('\n')}\n`);
  own(join(data, 'pg_hba.conf'), 0o600);
}

/** Creates login roles with SCRAM passwords (PostgreSQL 14+ stores SCRAM by default), over the Unix socket. */
function createRoles(
  binDir: string,
  dir: string,
  port: number,
  owner: { uid: number; gid: number } | undefined,
  passwords: Record<string, string>,
): void {
  const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const quoteIdentifier = (text: string) => `"${text.replaceAll('"', '""')}"`;
  const sql = Object.entries(passwords)
    .map(
      ([role, password]) =>
        `SET password_encryption = 'scram-sha-256'; CREATE ROLE ${quoteIdentifier(role)} LOGIN PASSWORD ${quoteLiteral(password)};`,
    )
    .join('\n');
  execFileSync(
    join(binDir, 'psql'),
    [
      '-h',
      dir,
      '-p',
      String(port),
      '-U',
      SUPERUSER,
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-c',
      sql,
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(owner === undefined ? {} : { uid: owner.uid, gid: owner.gid }),
    },
  );
}

/** The uid and gid of the `postgres` user, which the Debian package creates. */
function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new MissingBinaryError('the postgres user (apt package postgresql)');
  }
}

/**
 * True once the postmaster says so: from PostgreSQL 10 on, the eighth line of `postmaster.pid` reads `ready`
 * once it accepts connections (not while it starts up or recovers), and the port must take a connection.
 */
async function acceptsConnections(dataDir: string, port: number): Promise<boolean> {
  const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  // A hot standby that accepts read-only connections says `standby`.
  const status = lines[7]?.trim();
  if (status !== 'ready' && status !== 'standby') return false;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

import { connect as connectTcp, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { freePort } from './free-ports.js';
import { requireBinary } from './missing-binary-error.js';
import { parseInfo, type RespReply, respCommand } from './resp-client.js';
import { ServerHandle } from './server-handle.js';
import { ServerProcess } from './server-process.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import type { TestCertificates } from './test-certificates.js';

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Start as a replica of this server (`--replicaof 127.0.0.1 PORT`). */
  replicaOf?: RedisServer | { port: number };
  /** Extra `redis-server` arguments, e.g. `['--repl-diskless-sync-delay', '0']`. */
  args?: string[];
  /** Default 10 s. */
  readyTimeoutMs?: number;
  /**
   * Serve TLS only (`--port 0 --tls-port P`) with these certificates' server certificate and CA; with
   * `tlsAuthClients` (default true) a client must present a certificate signed by that CA. {@link RedisServer.command}
   * speaks plain TCP, so it cannot reach such a server.
   */
  tls?: TestCertificates;
  /** `--tls-auth-clients yes` (default) or `no`; only with `tls`. */
  tlsAuthClients?: boolean;
  /**
   * ACL users, each as `--user` takes it: `['alice', 'on', '>secret', '~*', '&*', '+@all']`. Give
   * `['default', 'off']` too to refuse unauthenticated clients.
   */
  users?: string[][];
}

/** The replication role Redis reports in `INFO replication`. */
export type RedisRole = 'master' | 'slave';

/**
 * One `redis-server` on 127.0.0.1 without persistence (`--save '' --appendonly no`), in its own temp
 * directory. A restart keeps the port but, having nothing on disk, comes back empty.
 */
export class RedisServer extends ServerHandle implements AsyncDisposable {
  readonly host = '127.0.0.1';
  readonly port: number;
  /** Temp directory holding the log; removed by {@link close}. */
  readonly dir: string;
  /** The certificates of a TLS-only server. */
  readonly tls: TestCertificates | undefined;
  protected readonly process: ServerProcess;

  /** @internal Use {@link startRedis}. */
  constructor(
    port: number,
    dir: string,
    args: string[],
    readyTimeoutMs: number | undefined,
    tls?: TestCertificates,
  ) {
    super();
    this.port = port;
    this.dir = dir;
    this.tls = tls;
    this.process = new ServerProcess({
      name: `redis-server 127.0.0.1:${port}`,
      command: requireBinary('redis-server'),
      args,
      cwd: dir,
      logFile: join(dir, 'redis.log'),
      ready: async () =>
        tls === undefined && !args.includes('--user')
          ? (await respCommand(port, 'PING')) === 'PONG'
          : answersPing(port, tls),
      readyTimeoutMs: readyTimeoutMs ?? 10_000,
    });
  }

  /** `redis://127.0.0.1:PORT` (`rediss://` for a TLS-only server). */
  get url(): string {
    return `${this.tls === undefined ? 'redis' : 'rediss'}://${this.host}:${this.port}`;
  }

  /** Runs one command on a fresh connection (so not for `WAIT`, which counts the connection's own writes). */
  command(...args: Array<string | number>): Promise<RespReply> {
    return respCommand(this.port, ...args);
  }

  /** `INFO [section]` parsed into fields. */
  async info(section?: string): Promise<Record<string, string>> {
    const reply = await (section === undefined ? this.command('INFO') : this.command('INFO', section));
    return parseInfo(String(reply));
  }

  /** The role this server reports now. */
  async role(): Promise<RedisRole> {
    const role = (await this.info('replication')).role;
    if (role !== 'master' && role !== 'slave')
      throw new Error(`${this.url} reported unexpected role ${role}`);
    return role;
  }

  /** Last lines of the server log. */
  logTail(lines?: number): string {
    return this.process.logTail(lines);
  }

  /** Stops the server and removes its temp directory. */
  async close(): Promise<void> {
    await this.process.stop();
    removeTempDir(this.dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts `redis-server` on a free loopback port in a new temp directory and waits until it answers PING.
 *
 * @throws MissingBinaryError (with the apt-get command) when redis-server is not installed.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  requireBinary('redis-server');
  // A free port can be taken by someone else between probing and binding; try a fresh one then.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const dir = createTempDir('lock-testkit-redis-');
    const server = new RedisServer(
      port,
      dir,
      redisArgs(port, dir, options),
      options.readyTimeoutMs,
      options.tls,
    );
    try {
      await server.start();
      return server;
    } catch (error) {
      const portTaken = server.logTail().includes('Address already in use');
      removeTempDir(dir);
      if (!portTaken || attempt >= 3) throw error;
    }
  }
}

function redisArgs(port: number, dir: string, options: StartRedisOptions): string[] {
  const args = [
    '--bind',
    '127.0.0.1',
    ...(options.tls === undefined
      ? ['--port', String(port)]
      : [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          options.tls.server.certFile,
          '--tls-key-file',
          options.tls.server.keyFile,
          '--tls-ca-cert-file',
          options.tls.ca.certFile,
          '--tls-auth-clients',
          options.tlsAuthClients === false ? 'no' : 'yes',
        ]),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    // Loopback only and our own ports: protected mode adds nothing here.
    '--protected-mode',
    'no',
  ];
  for (const user of options.users ?? []) args.push('--user', ...user);
  if (options.replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(options.replicaOf.port));
  args.push(...(options.args ?? []));
  return args;
}

/**
 * Readiness of a TLS or ACL server: it answers PING with PONG, or with NOAUTH (it is up, and refuses
 * unauthenticated clients as told). Over TLS the probe presents the client certificate.
 */
function answersPing(port: number, tls: TestCertificates | undefined): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const socket: Socket =
      tls === undefined
        ? connectTcp({ host: '127.0.0.1', port })
        : connectTls({
            host: '127.0.0.1',
            port,
            ca: tls.ca.certPem,
            cert: tls.client.certPem,
            key: tls.client.keyPem,
          });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply to PING'));
    }, 1000);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (!reply.includes('\r\n')) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fourLetterWord } from './four-letter-word.js';
import { freePorts } from './free-ports.js';
import { requireBinary } from './missing-binary-error.js';
import { ServerHandle } from './server-handle.js';
import { ServerProcess } from './server-process.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import { waitUntil } from './wait-until.js';

const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const LOGGING_JARS = ['/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'];

/** Options for {@link startZooKeeper}. */
export interface StartZooKeeperOptions {
  /** Ensemble size. Default 1 (standalone). */
  servers?: 1 | 3;
  /**
   * Milliseconds per tick. Default 500, so that session timeouts (allowed from 2 to 20 ticks) go as low
   * as 1 s and expiry tests stay short.
   */
  tickTime?: number;
  /** Extra `zoo.cfg` settings, e.g. `{ maxSessionTimeout: 4000 }`; they override the defaults. */
  config?: Record<string, string | number | boolean>;
  /** Extra JVM arguments. */
  jvmArgs?: string[];
  /** Per server. Default 30 s (a JVM on a busy 2-core machine). */
  readyTimeoutMs?: number;
}

/** The role ZooKeeper reports in `srvr`. */
export type ZooKeeperMode = 'standalone' | 'leader' | 'follower' | 'observer';

/** One ZooKeeper server (a JVM): its ports, directory and process. */
export class ZooKeeperServer extends ServerHandle {
  /** `myid` (1-based). */
  readonly id: number;
  readonly clientPort: number;
  /** Quorum and election ports; 0 for a standalone server. */
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly dir: string;
  protected readonly process: ServerProcess;

  /** @internal Created by {@link startZooKeeper}. */
  constructor(
    id: number,
    ports: { client: number; quorum: number; election: number },
    dir: string,
    args: string[],
    readyTimeoutMs?: number,
  ) {
    super();
    this.id = id;
    this.clientPort = ports.client;
    this.quorumPort = ports.quorum;
    this.electionPort = ports.election;
    this.dir = dir;
    this.process = new ServerProcess({
      name: `zookeeper ${id} 127.0.0.1:${ports.client}`,
      command: requireBinary('java'),
      args,
      cwd: dir,
      logFile: join(dir, 'zookeeper.log'),
      // `ruok` answers as soon as the port is open; only a `srvr` with a Mode proves the server has loaded
      // its data (and, in an ensemble, joined a quorum) and serves requests.
      ready: async () => (await this.fourLetter('ruok')) === 'imok' && (await this.mode()) !== undefined,
      readyTimeoutMs: readyTimeoutMs ?? 30_000,
      stopGraceMs: 3_000,
    });
  }

  /** `127.0.0.1:CLIENT_PORT`. */
  get connectionString(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  /** Sends a four-letter word to this server. */
  fourLetter(command: string, timeoutMs?: number): Promise<string> {
    return fourLetterWord(this.clientPort, command, timeoutMs);
  }

  /** The `Mode:` line of `srvr`, or undefined while the server is not serving (no quorum). */
  async mode(): Promise<ZooKeeperMode | undefined> {
    const match = /^Mode: (\w+)/m.exec(await this.fourLetter('srvr'));
    return match?.[1] as ZooKeeperMode | undefined;
  }

  /** Last lines of the server log. */
  logTail(lines?: number): string {
    return this.process.logTail(lines);
  }
}

/** A standalone ZooKeeper server or a 3-server ensemble on loopback. */
export class ZooKeeperEnsemble implements AsyncDisposable {
  readonly servers: readonly ZooKeeperServer[];
  /** Temp directory holding every server's config, data and log; removed by {@link close}. */
  readonly dir: string;

  /** @internal Use {@link startZooKeeper}. */
  constructor(servers: ZooKeeperServer[], dir: string) {
    this.servers = servers;
    this.dir = dir;
  }

  /** `127.0.0.1:P1,127.0.0.1:P2,...`, the form ZooKeeper clients take. */
  get connectionString(): string {
    return this.servers.map((server) => server.connectionString).join(',');
  }

  /**
   * Waits until a running, unpaused server reports `Mode: leader` (or `standalone`) and returns it.
   * After a leader kill this covers the election.
   */
  async leader(timeoutMs = 15_000): Promise<ZooKeeperServer> {
    return waitUntil(
      async () => {
        for (const server of this.servers) {
          if (!server.running || server.paused) continue;
          const mode = await server.mode().catch(() => undefined);
          if (mode === 'leader' || mode === 'standalone') return server;
        }
        return undefined;
      },
      {
        description: 'a ZooKeeper leader',
        timeoutMs,
        intervalMs: 100,
        detail: () =>
          this.servers.map((server) => `--- server ${server.id} ---\n${server.logTail(10)}`).join('\n'),
      },
    );
  }

  /** Sends a four-letter word to one server (the first running, unpaused one by default). */
  fourLetter(command: string, server?: ZooKeeperServer): Promise<string> {
    const target = server ?? this.servers.find((candidate) => candidate.running && !candidate.paused);
    if (target === undefined) return Promise.reject(new Error('no ZooKeeper server is running'));
    return target.fourLetter(command);
  }

  /** Stops every server and removes the temp directory. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
    removeTempDir(this.dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts ZooKeeper 3.8 from the machine's jars: standalone (`ZooKeeperServerMain`) or a 3-server
 * ensemble (`QuorumPeerMain`), on free loopback ports in a new temp directory, each server logging to a
 * file through its own log4j.properties. Resolves once every server answers `ruok` and reports a mode
 * in `srvr`.
 *
 * @throws MissingBinaryError (with the apt-get command) when java or the ZooKeeper jars are missing.
 */
export async function startZooKeeper(options: StartZooKeeperOptions = {}): Promise<ZooKeeperEnsemble> {
  requireBinary('java');
  for (const jar of [ZOOKEEPER_JAR, ...LOGGING_JARS]) requireBinary(jar);
  const size = options.servers ?? 1;
  if (size !== 1 && size !== 3) throw new RangeError(`servers must be 1 or 3, got ${String(size)}`);
  const ensemble = size > 1;
  const dir = createTempDir('lock-testkit-zk-');
  const ports = await freePorts(ensemble ? size * 3 : 1);
  const portsOf = (index: number) => ({
    client: ports[index]!,
    quorum: ensemble ? ports[size + index]! : 0,
    election: ensemble ? ports[2 * size + index]! : 0,
  });
  const serverLines = ensemble
    ? Array.from({ length: size }, (_, index) => {
        const { quorum, election } = portsOf(index);
        return `server.${index + 1}=127.0.0.1:${quorum}:${election}`;
      })
    : [];
  const servers = Array.from({ length: size }, (_, index) => {
    const id = index + 1;
    const serverDir = join(dir, `zk${id}`);
    const dataDir = join(serverDir, 'data');
    mkdirSync(dataDir, { recursive: true });
    if (ensemble) writeFileSync(join(dataDir, 'myid'), `${id}\n`);
    const settings: Record<string, string | number | boolean> = {
      tickTime: options.tickTime ?? 500,
      initLimit: 10,
      syncLimit: 5,
      dataDir,
      clientPort: portsOf(index).client,
      clientPortAddress: '127.0.0.1',
      // The admin server would bind 0.0.0.0:8080 and collide between servers.
      'admin.enableServer': false,
      '4lw.commands.whitelist': 'ruok,srvr,stat,mntr,conf,wchp,wchc,wchs,cons,dump,envi,isro',
      ...options.config,
    };
    const zooCfg = [
      ...Object.entries(settings).map(([key, value]) => `${key}=${String(value)}`),
      ...serverLines,
    ];
    writeFileSync(join(serverDir, 'zoo.cfg'), `${zooCfg.join('\n')}\n`);
    writeFileSync(join(serverDir, 'log4j.properties'), log4jProperties(join(serverDir, 'zookeeper.log')));
    const args = [
      '-Xmx128m',
      '-XX:+UseSerialGC',
      // The C1 compiler alone starts a short-lived server faster on 2 cores.
      '-XX:TieredStopAtLevel=1',
      '-Djava.net.preferIPv4Stack=true',
      ...(options.jvmArgs ?? []),
      '-cp',
      // The config directory comes first so log4j finds our log4j.properties.
      [serverDir, ZOOKEEPER_JAR, ...LOGGING_JARS].join(':'),
      ensemble
        ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
        : 'org.apache.zookeeper.server.ZooKeeperServerMain',
      join(serverDir, 'zoo.cfg'),
    ];
    return new ZooKeeperServer(id, portsOf(index), serverDir, args, options.readyTimeoutMs);
  });
  const handle = new ZooKeeperEnsemble(servers, dir);
  // Start together: an ensemble member reports no mode until a quorum has formed.
  const results = await Promise.allSettled(servers.map((server) => server.start()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await handle.close();
    throw failure.reason;
  }
  return handle;
}

function log4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=INFO, FILE',
    'log4j.appender.FILE=org.apache.log4j.FileAppender',
    `log4j.appender.FILE.File=${logFile}`,
    'log4j.appender.FILE.Append=true',
    'log4j.appender.FILE.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] %-5p [%t:%C{1}@%L] - %m%n',
    '',
  ].join('\n');
}

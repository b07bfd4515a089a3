import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from './free-ports.js';
import { type HttpJsonTls, httpJson } from './http-json.js';
import { requireBinary } from './missing-binary-error.js';
import { ServerHandle } from './server-handle.js';
import { ServerProcess } from './server-process.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import { waitUntil } from './wait-until.js';

/** Options for {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Cluster size. Default 1. */
  members?: 1 | 3;
  /**
   * Extra flags for every member, e.g. `['--heartbeat-interval', '50', '--election-timeout', '500']`
   * for faster elections.
   */
  args?: string[];
  /** Per member. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * Serve clients over TLS (`https://` client URLs; peers stay plain on loopback). Paths, e.g. from
   * `createTestCertificates()`.
   */
  tls?: EtcdTlsOptions;
}

/** TLS for an etcd cluster's client URLs (see {@link StartEtcdOptions.tls}). */
export interface EtcdTlsOptions {
  /** The server's certificate (`--cert-file`) and key (`--key-file`). */
  certFile: string;
  keyFile: string;
  /**
   * CA for client certificates (`--trusted-ca-file`). etcd 3.4 then requires a client certificate it signed
   * even without `clientCertAuth` (measured here); leave it out for a server that asks for none.
   */
  trustedCaFile?: string;
  /** `--client-cert-auth`. */
  clientCertAuth?: boolean;
  /** CA the testkit's own health and status checks trust the server with (default `trustedCaFile`). */
  caFile?: string;
  /** Client certificate and key those checks present (needed when the server asks for one). */
  clientCertFile?: string;
  clientKeyFile?: string;
}

/** What `POST /v3/maintenance/status` reports, with the uint64 ids kept as decimal strings. */
export interface EtcdMemberStatus {
  memberId: string;
  leaderId: string;
  raftTerm: string;
  version: string;
}

/** One etcd member: its own ports, data directory and process. */
export class EtcdMember extends ServerHandle {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** `https` when the cluster serves clients over TLS. */
  readonly scheme: 'http' | 'https';
  protected readonly process: ServerProcess;
  private readonly tls: HttpJsonTls | undefined;

  /** @internal Created by {@link startEtcd}. */
  constructor(
    name: string,
    clientPort: number,
    peerPort: number,
    dir: string,
    args: string[],
    readyTimeoutMs?: number,
    tls?: EtcdTlsOptions,
  ) {
    super();
    this.name = name;
    this.scheme = tls === undefined ? 'http' : 'https';
    this.tls =
      tls === undefined
        ? undefined
        : {
            ca: readFileSync((tls.caFile ?? tls.trustedCaFile) as string, 'utf8'),
            cert: tls.clientCertFile === undefined ? undefined : readFileSync(tls.clientCertFile, 'utf8'),
            key: tls.clientKeyFile === undefined ? undefined : readFileSync(tls.clientKeyFile, 'utf8'),
          };
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.dataDir = join(dir, 'data');
    mkdirSync(dir, { recursive: true });
    this.process = new ServerProcess({
      name: `etcd ${name} 127.0.0.1:${clientPort}`,
      command: requireBinary('etcd'),
      args,
      cwd: dir,
      logFile: join(dir, 'etcd.log'),
      // /health is true only once the member sees a leader, i.e. the cluster has quorum.
      ready: async () => {
        const { body } = await httpJson(`${this.clientUrl}/health`, { tls: this.tls });
        return (body as { health?: string } | undefined)?.health === 'true';
      },
      readyTimeoutMs: readyTimeoutMs ?? 20_000,
    });
  }

  /** `http://127.0.0.1:CLIENT_PORT` (`https://` with TLS). */
  get clientUrl(): string {
    return `${this.scheme}://127.0.0.1:${this.clientPort}`;
  }

  /** `http://127.0.0.1:PEER_PORT`. */
  get peerUrl(): string {
    return `http://127.0.0.1:${this.peerPort}`;
  }

  /** The member's view of the cluster, through the v3 JSON gateway (etcd 3.4 serves `/v3/`). */
  async status(timeoutMs = 1_000): Promise<EtcdMemberStatus> {
    const { status, body } = await httpJson(`${this.clientUrl}/v3/maintenance/status`, {
      body: {},
      timeoutMs,
      tls: this.tls,
    });
    const reply = body as {
      header?: { member_id?: string; raft_term?: string };
      leader?: string;
      version?: string;
    };
    if (status !== 200 || reply.header?.member_id === undefined) {
      throw new Error(`${this.name}: unexpected status reply ${status} ${JSON.stringify(body)}`);
    }
    return {
      memberId: reply.header.member_id,
      leaderId: reply.leader ?? '0',
      raftTerm: reply.header.raft_term ?? '0',
      version: reply.version ?? '',
    };
  }

  /** Last lines of the member's log. */
  logTail(lines?: number): string {
    return this.process.logTail(lines);
  }
}

/** A 1- or 3-member etcd cluster on loopback. */
export class EtcdCluster implements AsyncDisposable {
  readonly members: readonly EtcdMember[];
  /** Temp directory holding every member's data and log; removed by {@link close}. */
  readonly dir: string;

  /** @internal Use {@link startEtcd}. */
  constructor(members: EtcdMember[], dir: string) {
    this.members = members;
    this.dir = dir;
  }

  /** Client URLs of all members, e.g. for `new Etcd3({ hosts })`. */
  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  /** The member with this name (`etcd0`, `etcd1`, ...). */
  member(name: string): EtcdMember {
    const found = this.members.find((member) => member.name === name);
    if (found === undefined) throw new Error(`no etcd member named ${name}`);
    return found;
  }

  /**
   * Waits until every running, unpaused member agrees on one leader that is itself running, and returns
   * it. After a leader kill this covers the election (about 2 s here).
   */
  async leader(timeoutMs = 15_000): Promise<EtcdMember> {
    return waitUntil(
      async () => {
        const live = this.members.filter((member) => member.running && !member.paused);
        const statuses = await Promise.all(live.map((member) => member.status()));
        const leaderIds = new Set(statuses.map((status) => status.leaderId));
        if (leaderIds.size !== 1) return undefined;
        const [leaderId] = leaderIds;
        const index = statuses.findIndex((status) => status.memberId === leaderId);
        return index < 0 ? undefined : live[index];
      },
      {
        description: 'the etcd members to agree on a leader',
        timeoutMs,
        intervalMs: 100,
        detail: () =>
          this.members.map((member) => `--- ${member.name} ---\n${member.logTail(10)}`).join('\n'),
      },
    );
  }

  /** Stops every member and removes the temp directory. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((member) => member.stop()));
    removeTempDir(this.dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts an etcd cluster of 1 or 3 members on free loopback ports in a new temp directory and waits until
 * every member reports healthy.
 *
 * @throws MissingBinaryError (with the apt-get command) when etcd is not installed.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  requireBinary('etcd');
  const size = options.members ?? 1;
  if (options.tls !== undefined && (options.tls.caFile ?? options.tls.trustedCaFile) === undefined) {
    throw new TypeError('tls needs caFile or trustedCaFile: the CA the health checks trust the server with');
  }
  if (size !== 1 && size !== 3) throw new RangeError(`members must be 1 or 3, got ${String(size)}`);
  const dir = createTempDir('lock-testkit-etcd-');
  const ports = await freePorts(size * 2);
  const names = Array.from({ length: size }, (_, index) => `etcd${index}`);
  const initialCluster = names
    .map((name, index) => `${name}=http://127.0.0.1:${ports[size + index]}`)
    .join(',');
  // A per-cluster token keeps members of two test clusters from ever joining each other.
  const token = `lock-testkit-${randomUUID()}`;
  const members = names.map((name, index) => {
    const clientPort = ports[index]!;
    const peerPort = ports[size + index]!;
    const memberDir = join(dir, name);
    const clientScheme = options.tls === undefined ? 'http' : 'https';
    const tlsArgs =
      options.tls === undefined
        ? []
        : [
            '--cert-file',
            options.tls.certFile,
            '--key-file',
            options.tls.keyFile,
            ...(options.tls.trustedCaFile === undefined
              ? []
              : ['--trusted-ca-file', options.tls.trustedCaFile]),
            ...(options.tls.clientCertAuth ? ['--client-cert-auth'] : []),
          ];
    const args = [
      '--name',
      name,
      '--data-dir',
      join(memberDir, 'data'),
      '--listen-client-urls',
      `${clientScheme}://127.0.0.1:${clientPort}`,
      '--advertise-client-urls',
      `${clientScheme}://127.0.0.1:${clientPort}`,
      ...tlsArgs,
      '--listen-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peerPort}`,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-token',
      token,
      '--initial-cluster-state',
      'new',
      '--logger',
      'zap',
      ...(options.args ?? []),
    ];
    return new EtcdMember(name, clientPort, peerPort, memberDir, args, options.readyTimeoutMs, options.tls);
  });
  const cluster = new EtcdCluster(members, dir);
  // Members start together: none reports healthy before a quorum is up.
  const results = await Promise.allSettled(members.map((member) => member.start()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await cluster.close();
    throw failure.reason;
  }
  return cluster;
}

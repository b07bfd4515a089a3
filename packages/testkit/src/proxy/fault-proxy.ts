import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with bytes flowing in one direction:
 * - `'pass'`: forward at once;
 * - `{ delayMs }`: forward each chunk `delayMs` later, keeping order (a slow link);
 * - `'blackhole'`: read and discard, keeping both sockets open (a half-open connection or partition:
 *   the sender sees its writes succeed, the receiver waits forever).
 */
export type ProxyMode = 'pass' | 'blackhole' | { delayMs: number };

/** `clientToServer` is requests, `serverToClient` is replies; `both` sets both. */
export type ProxyDirection = 'clientToServer' | 'serverToClient' | 'both';

/** Options for {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Upstream host. Default 127.0.0.1. */
  targetHost?: string;
  targetPort: number;
  /** Listening port on 127.0.0.1. Default: a free one. */
  port?: number;
}

/** Connection and byte counts of a {@link FaultProxy}. */
export interface FaultProxyStats {
  /** Client connections accepted since start. */
  connections: number;
  /** Client connections currently open. */
  activeConnections: number;
  /** Bytes forwarded, per direction. */
  bytesClientToServer: number;
  bytesServerToClient: number;
  /** Bytes read and thrown away while blackholed, per direction. */
  droppedClientToServer: number;
  droppedServerToClient: number;
}

interface Link {
  client: Socket;
  upstream: Socket;
}

type OneWay = 'clientToServer' | 'serverToClient';

/**
 * A TCP proxy on 127.0.0.1 in front of one `host:port`, with faults switchable at runtime per direction.
 * `tc netem` is not available on these machines; this is how tests get delay, partitions and resets.
 *
 * @example
 * const proxy = await FaultProxy.start({ targetPort: redis.port });
 * const client = new Redis(proxy.port);
 * proxy.blackhole();        // requests vanish, sockets stay open
 * proxy.pass();
 * proxy.reset();            // every current connection gets a TCP RST
 * await proxy.close();
 */
export class FaultProxy implements AsyncDisposable {
  readonly host = '127.0.0.1';
  readonly targetHost: string;
  readonly targetPort: number;
  private readonly server: Server;
  private readonly links = new Set<Link>();
  private readonly modes: Record<OneWay, ProxyMode> = { clientToServer: 'pass', serverToClient: 'pass' };
  private readonly counters: FaultProxyStats = {
    connections: 0,
    activeConnections: 0,
    bytesClientToServer: 0,
    bytesServerToClient: 0,
    droppedClientToServer: 0,
    droppedServerToClient: 0,
  };
  private listenPort = 0;

  private constructor(options: FaultProxyOptions) {
    this.targetHost = options.targetHost ?? '127.0.0.1';
    this.targetPort = options.targetPort;
    // pauseOnConnect: no client byte is read before the upstream connection exists to take it.
    // allowHalfOpen: a client that half-closes after its request (as ZooKeeper four-letter words do)
    // must still receive the reply.
    this.server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) =>
      this.accept(client),
    );
  }

  /** Starts listening and resolves once the port is bound. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(options.port ?? 0, '127.0.0.1', () => {
        proxy.server.removeListener('error', reject);
        resolve();
      });
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    proxy.listenPort = address.port;
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    return this.listenPort;
  }

  /** `127.0.0.1:PORT`. */
  get address(): string {
    return `${this.host}:${this.listenPort}`;
  }

  /** A snapshot of the counters. */
  get stats(): FaultProxyStats {
    return { ...this.counters, activeConnections: this.links.size };
  }

  /** The current mode of one direction. */
  mode(direction: OneWay): ProxyMode {
    return this.modes[direction];
  }

  /** Sets the mode of one or both directions; applies to open connections and new ones. */
  setMode(direction: ProxyDirection, mode: ProxyMode): void {
    if (typeof mode === 'object' && !(Number.isFinite(mode.delayMs) && mode.delayMs >= 0)) {
      throw new RangeError(`delayMs must be a finite number >= 0, got ${mode.delayMs}`);
    }
    if (direction === 'both' || direction === 'clientToServer') this.modes.clientToServer = mode;
    if (direction === 'both' || direction === 'serverToClient') this.modes.serverToClient = mode;
  }

  /** Forward everything (the default). */
  pass(direction: ProxyDirection = 'both'): void {
    this.setMode(direction, 'pass');
  }

  /** Delay every chunk by `delayMs`. */
  delay(delayMs: number, direction: ProxyDirection = 'both'): void {
    this.setMode(direction, { delayMs });
  }

  /** Read and discard, keep sockets open. */
  blackhole(direction: ProxyDirection = 'both'): void {
    this.setMode(direction, 'blackhole');
  }

  /** Sends a TCP RST to both ends of every current connection; new connections are still accepted. */
  reset(): void {
    for (const link of this.links) {
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    }
    this.links.clear();
  }

  /** Stops listening and resets every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.reset();
    await closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private accept(client: Socket): void {
    this.counters.connections += 1;
    const upstream = connect({ host: this.targetHost, port: this.targetPort, allowHalfOpen: true });
    const link: Link = { client, upstream };
    this.links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.pipe(client, upstream, 'clientToServer');
      this.pipe(upstream, client, 'serverToClient');
      client.resume();
    });
    // An upstream that refuses is a reset for the client, as it would be without the proxy.
    upstream.on('error', () => {
      if (!connected && !client.destroyed) client.resetAndDestroy();
    });
    // Errors are handled by the 'close' listeners in pipe(); this only keeps them from being thrown.
    client.on('error', () => {});
    const forget = (): void => {
      if (client.destroyed && upstream.destroyed) this.links.delete(link);
    };
    client.once('close', forget);
    upstream.once('close', forget);
  }

  /** Moves bytes from `source` to `target` under the direction's current mode, chunk by chunk. */
  private pipe(source: Socket, target: Socket, direction: OneWay): void {
    const bytesKey = direction === 'clientToServer' ? 'bytesClientToServer' : 'bytesServerToClient';
    const droppedKey = direction === 'clientToServer' ? 'droppedClientToServer' : 'droppedServerToClient';
    // Delayed chunks leave in arrival order even if the delay is shortened meanwhile.
    let lastReleaseAt = 0;
    let inFlight = 0;
    let endPending = false;
    const write = (chunk: Buffer): void => {
      if (target.destroyed) return;
      this.counters[bytesKey] += chunk.length;
      // Backpressure: stop reading until the slow side drains, so memory stays bounded in pass mode.
      if (!target.write(chunk)) {
        source.pause();
        target.once('drain', () => source.resume());
      }
    };
    source.on('data', (chunk: Buffer) => {
      const mode = this.modes[direction];
      if (mode === 'blackhole') {
        this.counters[droppedKey] += chunk.length;
        return;
      }
      if (mode === 'pass' && inFlight === 0) {
        write(chunk);
        return;
      }
      const delayMs = mode === 'pass' ? 0 : mode.delayMs;
      const releaseAt = Math.max(performance.now() + delayMs, lastReleaseAt);
      lastReleaseAt = releaseAt;
      inFlight += 1;
      setTimeout(
        () => {
          inFlight -= 1;
          write(chunk);
          if (inFlight === 0 && endPending && !target.destroyed) target.end();
        },
        Math.max(0, releaseAt - performance.now()),
      );
    });
    // A FIN is forwarded after the data before it; while blackholed it is swallowed like the data.
    source.on('end', () => {
      if (this.modes[direction] === 'blackhole') return;
      if (inFlight > 0) endPending = true;
      else if (!target.destroyed) target.end();
    });
    // An abrupt close (reset, error) reaches the other side as a reset, unless the direction is
    // blackholed: a partition hides it. A clean close needs nothing: both FINs were already forwarded.
    source.on('close', (hadError) => {
      if (!hadError || this.modes[direction] === 'blackhole' || target.destroyed) return;
      target.resetAndDestroy();
    });
  }
}

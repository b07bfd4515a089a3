import type { RedisLockClient } from './redis-client.js';

/**
 * What is known about a client's connection when Redis has not answered: the latest connection error (for
 * connections this package opened, which it listens to) or else the connection's state, so that "no answer"
 * says why (`connect ECONNREFUSED 127.0.0.1:6390`, or "connected, but no reply": a server that accepts and never
 * answers).
 */
export class ConnectionWatch {
  private readonly client: RedisLockClient;
  private latestError: Error | undefined;
  /**
   * The latest TLS failure: a server that refuses the client certificate sends an alert on one attempt and
   * resets the next ones, so the latest error alone may say only ECONNRESET.
   */
  private tlsError: Error | undefined;

  /**
   * `listen`: record the client's 'error' events (and forget them once it is ready again). Only for clients this
   * package opened: a listener on a client you passed in would silence ioredis's own "Unhandled error" report.
   */
  constructor(client: RedisLockClient, listen: boolean) {
    this.client = client;
    if (!listen) return;
    const events = client as unknown as { on?: (event: string, listener: (error?: unknown) => void) => void };
    events.on?.('error', (error) => {
      if (!(error instanceof Error)) return;
      this.latestError = error;
      if (TLS_FAILURE.test(error.message)) this.tlsError = error;
    });
    events.on?.('ready', () => {
      this.latestError = undefined;
      this.tlsError = undefined;
    });
  }

  /** The latest connection error since the connection was last ready, if any. */
  get error(): Error | undefined {
    return this.latestError;
  }

  /** Why there may be no answer, in a few words. */
  explain(): string {
    if (this.latestError !== undefined) {
      const tls =
        this.tlsError !== undefined && this.tlsError !== this.latestError
          ? `; before it, TLS failed: ${this.tlsError.message.trim()}`
          : '';
      return `latest connection error: ${this.latestError.message.trim()}${tls}`;
    }
    const status = (this.client as { status?: unknown }).status;
    if (typeof status !== 'string' || status === 'ready') return 'server down, unreachable or overloaded?';
    if (status === 'connect')
      return 'the connection is open but Redis never answered its handshake: is that port a Redis server?';
    return `not connected (connection ${status})`;
  }
}

/** Messages of TLS failures (handshake alerts, certificate checks) as Node and OpenSSL word them. */
const TLS_FAILURE = /certificate|ssl|tls|alert/i;

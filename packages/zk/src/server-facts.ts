import { connect } from 'node:net';

/** What one server says about itself through the `srvr` four-letter word (enabled by default since 3.5). */
export interface ZooKeeperServerFacts {
  /** The `host:port` asked. */
  readonly address: string;
  /** Whether a connection to it was made (false: down, unreachable, or not a server there). */
  readonly reached: boolean;
  /** The version it reports, e.g. `"3.8.0-debian--1"`; `undefined` when it did not say. */
  readonly version?: string | undefined;
  /** Its role: `standalone`, `leader`, `follower`, `observer`; `undefined` when it did not say. */
  readonly mode?: string | undefined;
  /** Why it did not say: no connection, no answer in time, or `srvr` not in its `4lw.commands.whitelist`. */
  readonly error?: string | undefined;
}

/** Longest wait for one server's answer. */
const SRVR_TIMEOUT_MS = 2_000;

/**
 * Asks the server at `address` (`host:port`, `[v6]:port`) what it is, on a connection of its own (a client's
 * session cannot carry a four-letter word). Never rejects: a server that cannot say is described by `error`.
 * @internal
 */
export function readServerFacts(address: string): Promise<ZooKeeperServerFacts> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reached = false;
    const socket = connect({ host, port });
    socket.setTimeout(SRVR_TIMEOUT_MS, () =>
      socket.destroy(new Error(`no answer to srvr within ${SRVR_TIMEOUT_MS} ms`)),
    );
    // The server answers and closes the connection.
    socket.on('connect', () => {
      reached = true;
      socket.end('srvr');
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => resolve({ address, reached, error: error.message }));
    socket.on('close', (hadError) => {
      if (!hadError) resolve(parseSrvr(address, Buffer.concat(chunks).toString('utf8')));
    });
  });
}

/** The facts in an answer to `srvr`; an answer without a version is a refusal (not whitelisted). */
function parseSrvr(address: string, answer: string): ZooKeeperServerFacts {
  const version = /^Zookeeper version: ([^,\s]+)/im.exec(answer)?.[1];
  const mode = /^Mode: (\w+)/m.exec(answer)?.[1];
  if (version === undefined && mode === undefined) {
    return { address, reached: true, error: answer.trim() || 'an empty answer to srvr' };
  }
  return { address, reached: true, version, mode };
}

import { connect, type Socket } from 'node:net';

/** A decoded RESP2 reply: simple/bulk string, integer, null, or array of replies. */
export type RespReply = string | number | null | RespReply[];

/** A Redis error reply (`-ERR ...`), rejected as an Error. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

/**
 * A minimal RESP2 client for admin commands (PING, INFO, REPLICAOF, CLIENT KILL, WAIT...).
 *
 * The testkit must not depend on ioredis; this speaks just enough of the protocol for a harness. Replies
 * arrive in order on one connection, so a FIFO of pending promises is the whole dispatcher.
 */
export class RespClient {
  private readonly socket: Socket;
  private readonly pending: Array<{ resolve: (reply: RespReply) => void; reject: (error: Error) => void }> =
    [];
  private buffer: Buffer = Buffer.alloc(0);
  private readonly connected: Promise<void>;

  private constructor(port: number, host: string) {
    this.socket = connect({ port, host });
    this.socket.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => this.failAll(error));
    this.socket.on('close', () => this.failAll(new Error(`connection to ${host}:${port} closed`)));
  }

  /** Opens a connection; rejects if it cannot be made. */
  static async connect(port: number, host = '127.0.0.1'): Promise<RespClient> {
    const client = new RespClient(port, host);
    await client.connected;
    return client;
  }

  /** Sends one command and resolves with its reply; an error reply rejects with {@link RespError}. */
  command(...args: Array<string | number>): Promise<RespReply> {
    const parts = args.map(String);
    let frame = `*${parts.length}\r\n`;
    for (const part of parts) frame += `$${Buffer.byteLength(part)}\r\n${part}\r\n`;
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(frame);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let parsed: Parsed;
      try {
        parsed = parseReply(this.buffer, 0);
      } catch (error) {
        // A garbled stream cannot be resynchronised: fail everything and drop the connection.
        this.failAll(error as Error);
        this.socket.destroy();
        return;
      }
      if (parsed === undefined) return; // Incomplete: wait for more bytes.
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.pending.shift();
      if (parsed.reply instanceof RespError) waiter?.reject(parsed.reply);
      else waiter?.resolve(parsed.reply);
    }
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }
}

type Parsed = { reply: RespReply | RespError; end: number } | undefined;

function parseReply(buffer: Buffer, start: number): Parsed {
  const lineEnd = buffer.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const line = buffer.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buffer[start]!)) {
    case '+':
      return { reply: line, end: next };
    case '-':
      return { reply: new RespError(line), end: next };
    case ':':
      return { reply: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, end: next };
      const items: RespReply[] = [];
      let offset = next;
      for (let index = 0; index < count; index += 1) {
        const item = parseReply(buffer, offset);
        if (item === undefined) return undefined;
        // An error nested in an array (e.g. inside EXEC) is kept as its message.
        items.push(item.reply instanceof RespError ? item.reply.message : item.reply);
        offset = item.end;
      }
      return { reply: items, end: offset };
    }
    default:
      throw new Error(`unexpected RESP type byte ${buffer[start]}`);
  }
}

/** How long {@link respCommand} waits for a reply before giving up. */
export const RESP_COMMAND_TIMEOUT_MS = 5_000;

/**
 * Opens a connection, sends one command, closes; for one-off admin commands. Rejects after
 * {@link RESP_COMMAND_TIMEOUT_MS}, so a paused (SIGSTOPped) server cannot hang a readiness probe.
 */
export async function respCommand(port: number, ...args: Array<string | number>): Promise<RespReply> {
  const client = await RespClient.connect(port);
  const timer = setTimeout(() => client.close(), RESP_COMMAND_TIMEOUT_MS);
  try {
    return await client.command(...args);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/** Parses the `key:value` lines of an INFO reply. */
export function parseInfo(info: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

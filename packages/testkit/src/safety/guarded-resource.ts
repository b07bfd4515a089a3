import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * How the resource fences:
 * - `'on'`: reads and writes carry the caller's token and are both fenced (see {@link GuardedResourceServer});
 * - `'writes-only'`: the weaker fence that checks writes alone. A read-modify-write section can then lose an
 *   update the fence accepts; kept to show what fencing reads buys (mutant `'reads-unfenced'`);
 * - `'off'`: the mutant that accepts everything.
 */
export type FencingMode = 'on' | 'writes-only' | 'off';

/** Every {@link FencingMode}, e.g. to validate one read from the command line. */
export const FENCING_MODES: readonly FencingMode[] = ['on', 'writes-only', 'off'];

/**
 * How a fenced read was made: `exclusive` by a lock holder or writer (fenced like a write), `shared` by a
 * reader of a read-write lock or a semaphore's permit holder (refused only when a newer exclusive
 * operation was accepted: a read is never refused for being older than another read).
 */
export type ReadMode = 'exclusive' | 'shared';

/** One fenced operation the resource received, accepted or not, in arrival order. */
export interface ResourceOperation {
  token: bigint;
  holder: string;
  accepted: boolean;
  /** `'shared'` for a shared read; absent for writes and exclusive reads. */
  mode?: 'shared' | undefined;
  /** `process.hrtime.bigint()` in the resource process when the operation arrived. */
  t: bigint;
}

/** One write: the value it would set. */
export interface ResourceWrite extends ResourceOperation {
  value: number;
}

/** One read made with a token (reads without one are observations and not logged). */
export type ResourceRead = ResourceOperation;

/** Everything the resource knows; the checkers' view of the final state. */
export interface ResourceState {
  fencing: FencingMode;
  value: number;
  /** Highest token accepted so far, by a write or a fenced read (undefined before the first). */
  maxSeen: bigint | undefined;
  /** Holder that presented `maxSeen`. */
  maxHolder: string | undefined;
  writes: ResourceWrite[];
  reads: ResourceRead[];
}

/** The result of one write. */
export interface WriteResult {
  accepted: boolean;
  /** Why a write was rejected. */
  reason?: string;
}

/** The result of one fenced read: the value, or why the fence refused it. */
export type ReadResult = { accepted: true; value: number } | { accepted: false; reason: string };

/**
 * A counter register guarded by fencing tokens, modelled on etcd's `contrib/lock/storage`: the thing a
 * lock is supposed to protect.
 *
 * The fence: an operation (a read or a write) is accepted if its token is greater than any token accepted
 * before, or equal to the greatest and from the same holder (one holder reads and writes several times
 * under one grant); an accepted operation raises the greatest token seen. The tie rule is what makes one
 * token issued to two holders visible. A `shared` read (a reader, a permit holder) is checked against the
 * greatest token of the exclusive operations only (writes and exclusive reads), so concurrent readers never
 * refuse each other; it still raises the greatest token seen, so a writer older than an accepted read (whose
 * grant therefore ended before that reader's) is refused. Fencing reads as well as writes is what makes a read-modify-write
 * section safe: accepted operations then arrive grant by grant in token order, so no other holder's write
 * can land between a section's accepted read and its accepted write (a write fence alone lets an older
 * holder write after a newer one read, and the newer one's write then erases that update). Tokens are
 * compared as bigint, never as strings or floats.
 *
 * Served over HTTP on 127.0.0.1 so client processes can reach it: `POST /read {token, holder, mode?}` (a
 * fenced read; `mode: 'shared'` for a shared one), `GET /read` (an observation: no token, not fenced, not logged, raises nothing),
 * `POST /write {value, token, holder}`, `GET /state`, `POST /reset`.
 */
export class GuardedResourceServer {
  readonly fencing: FencingMode;
  private value = 0;
  private maxSeen: bigint | undefined;
  private maxHolder: string | undefined;
  /** Greatest token of an accepted exclusive operation, and its holder: what shared reads are fenced by. */
  private maxExclusive: { token: bigint; holder: string } | undefined;
  private writes: ResourceWrite[] = [];
  private reads: ResourceRead[] = [];
  private readonly server: Server;

  constructor(options: { fencing?: FencingMode } = {}) {
    this.fencing = options.fencing ?? 'on';
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => reply(res, 500, { error: String(error) }));
    });
    // Clients may sit SIGSTOPped for seconds; a keep-alive socket closed meanwhile would turn their next
    // write into an indeterminate error, so idle sockets are kept long.
    this.server.keepAliveTimeout = 600_000;
  }

  /** Starts listening on 127.0.0.1 (a free port by default) and returns the base URL. */
  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return this.url;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('guarded resource is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Applies the fencing rule to one read made under `token` by `holder` (`mode` of its grant). */
  fencedRead(token: bigint, holder: string, mode: ReadMode = 'exclusive'): ReadResult {
    const shared = mode === 'shared';
    let reason: string | undefined;
    if (this.fencing === 'on')
      reason = shared ? this.sharedRefusal(token, holder) : this.refusal(token, holder);
    const read: ResourceRead = { token, holder, accepted: reason === undefined, t: process.hrtime.bigint() };
    if (shared) read.mode = 'shared';
    this.reads.push(read);
    if (reason !== undefined) return { accepted: false, reason };
    // With reads unfenced a read leaves the fence where it was: that is the weakness it shows.
    if (this.fencing === 'on') this.raise(token, holder, !shared);
    return { accepted: true, value: this.value };
  }

  /** Applies the fencing rule to one write. */
  write(value: number, token: bigint, holder: string): WriteResult {
    const reason = this.fencing === 'off' ? undefined : this.refusal(token, holder);
    const accepted = reason === undefined;
    this.writes.push({ value, token, holder, accepted, t: process.hrtime.bigint() });
    if (reason !== undefined) return { accepted, reason };
    this.value = value;
    this.raise(token, holder, true);
    return { accepted };
  }

  /** A copy of the state. */
  state(): ResourceState {
    return {
      fencing: this.fencing,
      value: this.value,
      maxSeen: this.maxSeen,
      maxHolder: this.maxHolder,
      writes: this.writes.map((write) => ({ ...write })),
      reads: this.reads.map((read) => ({ ...read })),
    };
  }

  /** Back to value 0 with no tokens seen, no writes and no reads. */
  reset(): void {
    this.value = 0;
    this.maxSeen = undefined;
    this.maxHolder = undefined;
    this.maxExclusive = undefined;
    this.writes = [];
    this.reads = [];
  }

  /** Stops listening and closes idle keep-alive sockets. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Why the fence refuses an operation under `token` by `holder`, or undefined when it accepts it. */
  private refusal(token: bigint, holder: string): string | undefined {
    if (this.maxSeen === undefined) return undefined;
    if (token < this.maxSeen) return `stale token ${token} < ${this.maxSeen}`;
    if (token === this.maxSeen && holder !== this.maxHolder) {
      return `token ${token} already used by ${this.maxHolder}`;
    }
    return undefined;
  }

  /** Why the fence refuses a shared read: a newer exclusive operation, or a writer's token reused. */
  private sharedRefusal(token: bigint, holder: string): string | undefined {
    const newest = this.maxExclusive;
    if (newest === undefined) return undefined;
    if (token < newest.token) return `stale token ${token} < ${newest.token} of an exclusive holder`;
    if (token === newest.token && holder !== newest.holder)
      return `token ${token} already used by ${newest.holder}`;
    return undefined;
  }

  private raise(token: bigint, holder: string, exclusive: boolean): void {
    if (this.maxSeen === undefined || token > this.maxSeen) {
      this.maxSeen = token;
      this.maxHolder = holder;
    }
    if (exclusive && (this.maxExclusive === undefined || token > this.maxExclusive.token))
      this.maxExclusive = { token, holder };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/read') return reply(res, 200, { value: this.value });
    if (req.method === 'GET' && path === '/state') return reply(res, 200, serializeState(this.state()));
    if (req.method === 'POST' && path === '/reset') {
      this.reset();
      return reply(res, 200, {});
    }
    if (req.method === 'POST' && (path === '/read' || path === '/write')) {
      const body = JSON.parse(await readBody(req)) as {
        value?: unknown;
        token?: unknown;
        holder?: unknown;
        mode?: unknown;
      };
      // Decimal strings only: a JSON number would already have lost precision above 2^53.
      if (typeof body.token !== 'string' || !/^-?\d+$/.test(body.token)) {
        return reply(res, 400, {
          error: `token must be a decimal string, got ${JSON.stringify(body.token)}`,
        });
      }
      if (typeof body.holder !== 'string' || body.holder.length === 0) {
        return reply(res, 400, {
          error: `holder must be a non-empty string, got ${JSON.stringify(body.holder)}`,
        });
      }
      if (path === '/read') {
        if (body.mode !== undefined && body.mode !== 'shared' && body.mode !== 'exclusive') {
          return reply(res, 400, {
            error: `mode must be shared or exclusive, got ${JSON.stringify(body.mode)}`,
          });
        }
        return reply(res, 200, this.fencedRead(BigInt(body.token), body.holder, body.mode ?? 'exclusive'));
      }
      if (typeof body.value !== 'number' || !Number.isSafeInteger(body.value)) {
        return reply(res, 400, { error: `value must be a safe integer, got ${JSON.stringify(body.value)}` });
      }
      return reply(res, 200, this.write(body.value, BigInt(body.token), body.holder));
    }
    return reply(res, 404, { error: `no route ${req.method} ${path}` });
  }
}

/** JSON form of {@link ResourceState}: bigints as decimal strings. */
export interface SerializedResourceState {
  fencing: FencingMode;
  value: number;
  maxSeen: string | null;
  maxHolder: string | null;
  writes: Array<{ value: number; token: string; holder: string; accepted: boolean; t: string }>;
  reads: Array<{ token: string; holder: string; accepted: boolean; t: string; mode?: 'shared' }>;
}

/** Converts a state to its JSON form. */
export function serializeState(state: ResourceState): SerializedResourceState {
  return {
    fencing: state.fencing,
    value: state.value,
    maxSeen: state.maxSeen?.toString() ?? null,
    maxHolder: state.maxHolder ?? null,
    writes: state.writes.map((write) => ({ ...write, token: write.token.toString(), t: write.t.toString() })),
    reads: state.reads.map((read) => ({ ...read, token: read.token.toString(), t: read.t.toString() })),
  };
}

/** Converts the JSON form back. */
export function deserializeState(state: SerializedResourceState): ResourceState {
  return {
    fencing: state.fencing,
    value: state.value,
    maxSeen: state.maxSeen === null ? undefined : BigInt(state.maxSeen),
    maxHolder: state.maxHolder ?? undefined,
    writes: state.writes.map((write) => ({ ...write, token: BigInt(write.token), t: BigInt(write.t) })),
    reads: state.reads.map((read) => ({ ...read, token: BigInt(read.token), t: BigInt(read.t) })),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./fixtures/lock-child.mjs', import.meta.url));

/** How the child takes a name: `provider.lock(name)`, or a side of `readWriteLock(name)`. */
export type ChildMode = 'lock' | 'read' | 'write';

/** A reply of the lock child (see fixtures/lock-child.mjs). */
export interface ChildReply {
  readonly op: string;
  readonly name?: string;
  readonly token?: string | null;
  readonly count?: number;
  readonly error?: string;
  readonly released?: boolean;
  readonly pid?: number;
}

/** Another process taking file locks in `directory` on this process's orders. */
export class LockChild {
  private readonly replies: ChildReply[] = [];
  private readonly wakers: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly process: ChildProcess) {
    process.on('message', (reply: ChildReply) => {
      this.replies.push(reply);
      for (const wake of this.wakers.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /**
   * With `turnstile: 'skip'`, the child's readers are the mutant that passes waiting writers; with
   * `waiterWaits: 'main-thread'`, its waiter processes are the mutant that cannot see it die.
   */
  static async start(
    directory: string,
    turnstile: 'pass' | 'skip' = 'pass',
    waiterWaits: 'thread-pool' | 'main-thread' = 'thread-pool',
  ): Promise<LockChild> {
    const child = new LockChild(
      fork(script, [directory, turnstile, waiterWaits], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await child.next('ready');
    return child;
  }

  get pid(): number {
    return this.process.pid!;
  }

  /**
   * Takes `name` (waiting as long as it takes, or `timeoutMs`) as a lock, a read or a write; the lease is
   * kept under `key` (default: the name). Resolves with the reply.
   */
  async acquire(
    name: string,
    timeoutMs?: number,
    mode: ChildMode = 'lock',
    key?: string,
  ): Promise<ChildReply> {
    this.process.send({ op: 'acquire', name, timeoutMs, mode, key });
    return this.next(['acquired', 'failed'], name);
  }

  /** Sends the order to take `name` without waiting for the answer; `next('acquired', name)` gets it. */
  startAcquire(name: string, timeoutMs?: number, mode: ChildMode = 'lock', key?: string): void {
    this.process.send({ op: 'acquire', name, timeoutMs, mode, key });
  }

  /** `tryAcquire` of `name` in `mode`: the token, or null when it was not granted. */
  async tryAcquire(name: string, mode: ChildMode = 'lock', key?: string): Promise<string | null> {
    this.process.send({ op: 'try', name, mode, key });
    return (await this.next('tried', name)).token ?? null;
  }

  /** Starts a stream of `grants` overlapping reads of `name` (`streamed` replies count them). */
  startReadStream(name: string, grants: number): void {
    this.process.send({ op: 'stream', name, grants });
  }

  async release(name: string, key?: string): Promise<ChildReply> {
    this.process.send({ op: 'release', name, key });
    return this.next('released', name);
  }

  async spawnInheritor(name: string): Promise<number> {
    this.process.send({ op: 'spawn-inheritor', name });
    return (await this.next('inheritor')).pid!;
  }

  /** The next reply with one of `ops` (and for `name`), waiting for it if it has not come yet. */
  async next(ops: string | string[], name?: string): Promise<ChildReply> {
    const wanted = Array.isArray(ops) ? ops : [ops];
    for (;;) {
      const index = this.replies.findIndex(
        (reply) => wanted.includes(reply.op) && (name === undefined || reply.name === name),
      );
      if (index >= 0) return this.replies.splice(index, 1)[0]!;
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  kill(): Promise<unknown> {
    this.process.kill('SIGKILL');
    return this.exited;
  }
}

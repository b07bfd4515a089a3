import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { LockBackendError } from '@lock/core';
import { lockFailure } from './kernel-lock.js';
import { WAITER_SCRIPT, type WaiterReply } from './waiter-script.js';

/** The title a kernel waiter process shows in `ps`. */
export const WAITER_TITLE = 'lock-file-waiter';

const live = new Set<KernelWaiter>();
/** Exits of waiter processes killed and not yet gone (tests wait for them before counting leftovers). */
const dying = new Set<Promise<void>>();
let exitHookInstalled = false;
let addonPath: string | undefined;

/**
 * Where a waiter process blocks. `thread-pool` is the product; `main-thread` is the broken variant for the
 * test that shows why: blocked on its main thread, a waiter cannot see its parent die, so a writer killed
 * while it waits keeps the turnstile (and holds back every reader) until the lock would have been its own.
 * @internal
 */
export type WaiterWaits = 'thread-pool' | 'main-thread';
let waiterWaits: WaiterWaits = 'thread-pool';

/** Test hook: switches where waiter processes started from now on block (see {@link WaiterWaits}). @internal */
export function setWaiterWaits(next: WaiterWaits): void {
  waiterWaits = next;
}

/**
 * A helper process that waits in the kernel for one name's lock, on the open file description it shares with
 * this process (the name's lock file, passed as its descriptor 3). A grant to it is a grant to us: the lock
 * belongs to the open file, not to a process.
 *
 * Why a process and not a worker thread: a blocking lock call cannot be interrupted, and Node joins its worker
 * threads when the process exits, so a thread blocked behind a holder in another process would keep this
 * process from exiting (measured: `process.exit()` hangs). A process can be killed at any moment: a timeout,
 * an abort or our own exit ends the kernel wait at once and leaves nothing queued. One waits per name while
 * someone in this process waits for it (never libuv's thread pool, so file I/O is never starved), and stays
 * for the next wait on the same name until the name is dropped.
 * @internal
 */
export class KernelWaiter {
  private readonly child: ChildProcess;
  private pending: { resolve(token: bigint | undefined): void; reject(error: unknown): void } | undefined;
  private exited = false;
  private exitReason = '';
  private readonly exit: Promise<void>;

  private constructor(
    readonly path: string,
    fd: number,
    gateFd: number,
  ) {
    const script = [`--title=${WAITER_TITLE}`, '-e', WAITER_SCRIPT, extensionsPath(), waiterWaits];
    this.child = spawn(process.execPath, script, {
      // The lock file and its turnstile become the waiter's descriptors 3 and 4 (WAITER_SCRIPT waits on them);
      // 5 is the IPC channel.
      stdio: ['ignore', 'ignore', 'ignore', fd, gateFd, 'ipc'],
      env: waiterEnvironment(),
      windowsHide: true,
    });
    this.child.on('message', (reply: WaiterReply) => this.settle(reply));
    this.child.on('error', (error) => this.fail(new LockBackendError('file', 'wait', { cause: error })));
    let onExit: () => void = () => {};
    this.exit = new Promise<void>((resolve) => {
      onExit = resolve;
    });
    this.child.on('exit', (code, signal) => {
      onExit();
      this.exited = true;
      live.delete(this);
      this.exitReason = signal === null ? `code ${code}` : `signal ${signal}`;
      this.fail(
        new LockBackendError('file', 'wait', {
          detail: `the kernel waiter process for ${this.path} (pid ${this.child.pid}) exited with ${this.exitReason}`,
        }),
      );
    });
    live.add(this);
    installExitHook();
    this.idle();
  }

  /**
   * Starts a waiter process for the lock file open as `fd` (whose path is `path`, for messages) and its
   * turnstile open as `gateFd`.
   */
  static spawn(path: string, fd: number, gateFd: number): KernelWaiter {
    return new KernelWaiter(path, fd, gateFd);
  }

  /** Pid of the process (for tests and `status`). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True while a wait is in flight. */
  get waiting(): boolean {
    return this.pending !== undefined;
  }

  /** True once the process is gone. */
  get gone(): boolean {
    return this.exited;
  }

  /**
   * Waits in the kernel for the turnstile and, with `lock`, then for the lock in the asked mode; resolves once
   * this process's open file descriptions hold them. With `lock` the turnstile is given back before it
   * resolves, and a shared grant resolves with the token minted under it (at least `atLeast`, written with
   * this process's pid); without `lock` the turnstile is still held. One wait at a time. While it waits, the
   * process is kept alive (as by a pending socket read).
   */
  wait({
    exclusive,
    lock,
    atLeast,
  }: {
    exclusive: boolean;
    lock: boolean;
    atLeast: bigint;
  }): Promise<bigint | undefined> {
    if (this.exited) {
      return Promise.reject(
        new LockBackendError('file', 'wait', {
          detail: `the kernel waiter process for ${this.path} exited with ${this.exitReason}`,
        }),
      );
    }
    return new Promise<bigint | undefined>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.ref();
      this.child.channel?.ref();
      this.child.send({ type: 'wait', exclusive, lock, atLeast: String(atLeast), pid: process.pid });
    });
  }

  /**
   * Ends the process now (SIGKILL): a wait in flight is dropped without settling. A lock granted to it just
   * before is freed once the caller closes its own descriptor of the file.
   */
  kill(): void {
    this.pending = undefined;
    live.delete(this);
    if (this.exited) return;
    this.child.kill('SIGKILL');
    const exit = this.exit;
    dying.add(exit);
    exit.then(() => dying.delete(exit));
  }

  private settle(reply: WaiterReply): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    this.idle();
    if (reply.type === 'granted')
      pending.resolve(reply.token === undefined ? undefined : BigInt(reply.token));
    else pending.reject(lockFailure('wait', this.path, Object.assign(new Error(reply.message), reply)));
  }

  private fail(error: unknown): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  /** Nothing waits on it: it must not keep this process alive. */
  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
  }
}

/** Resolves once every waiter process killed so far has exited (its kernel wait gone with it). @internal */
export async function killedWaitersExited(): Promise<void> {
  await Promise.all([...dying]);
}

/** Kills every waiter process still running (their kernel waits with them) when this process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const waiter of live) waiter.kill();
  });
}

/** The addon's entry, resolved here: the waiter process requires it by absolute path. */
function extensionsPath(): string {
  addonPath ??= createRequire(import.meta.url).resolve('fs-native-extensions');
  return addonPath;
}

/** Our environment without NODE_OPTIONS (a preloaded test runner or loader has no business in the waiter). */
function waiterEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  // Under Electron, execPath is the app: run it as plain Node.
  if (process.versions.electron !== undefined) env.ELECTRON_RUN_AS_NODE = '1';
  return env;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerPid, unregisterPid } from './process-registry.js';
import { waitUntil } from './wait-until.js';

/** How to run and probe one server process. */
export interface ServerProcessOptions {
  /** Human name used in errors, e.g. `redis-server 127.0.0.1:6379`. */
  name: string;
  /** Absolute path of the executable. */
  command: string;
  args: string[];
  cwd: string;
  /** stdout and stderr are appended here; its tail is quoted when the server fails to start. */
  logFile: string;
  /** Resolves true once the server answers. Called repeatedly; throwing counts as "not yet". */
  ready: () => Promise<boolean>;
  /** Default 20 s: JVM start-up on a loaded 2-core machine takes several seconds. */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in {@link ServerProcess.stop}. Default 5 s. */
  stopGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group id (a server that refuses root, started by root: PostgreSQL). */
  uid?: number | undefined;
  gid?: number | undefined;
  /**
   * The signal {@link ServerProcess.stop} sends first. Default SIGTERM; PostgreSQL takes SIGQUIT (immediate
   * shutdown), since its SIGTERM waits for every client to disconnect.
   */
  stopSignal?: NodeJS.Signals | undefined;
}

/**
 * One server process started from a binary, owned by PID: started, stopped, killed, paused and
 * restarted with the same command line (so the same ports and data directory).
 */
export class ServerProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly options: ServerProcessOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private lastPid = 0;
  private stopped = true;
  private isPaused = false;

  constructor(options: ServerProcessOptions) {
    this.options = options;
    this.name = options.name;
    this.logFile = options.logFile;
  }

  /** PID of the current (or, after it stopped, the last) process. 0 before the first start. */
  get pid(): number {
    return this.lastPid;
  }

  /** True between a start and the process's exit. */
  get running(): boolean {
    return !this.stopped;
  }

  /** True while the process is stopped with SIGSTOP. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Spawns the process and waits until it answers `ready()`. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.lastPid})`);
    const logFd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.options.command, this.options.args, {
        cwd: this.options.cwd,
        env: this.options.env ?? process.env,
        stdio: ['ignore', logFd, logFd],
        ...(this.options.uid === undefined ? {} : { uid: this.options.uid }),
        ...(this.options.gid === undefined ? {} : { gid: this.options.gid }),
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(logFd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const spawnError = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new Error(`${this.name} failed to spawn: ${spawnError.message}`, { cause: spawnError });
    }
    registerPid(pid);
    this.child = child;
    this.lastPid = pid;
    this.stopped = false;
    this.isPaused = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        unregisterPid(pid);
        if (this.child === child) {
          this.stopped = true;
          this.isPaused = false;
        }
        resolve();
      });
    });
    try {
      await waitUntil(this.options.ready, {
        description: `${this.name} to become ready`,
        timeoutMs: this.options.readyTimeoutMs ?? 20_000,
        detail: () => `--- last lines of ${this.logFile} ---\n${this.logTail()}`,
        abortWith: () =>
          this.child === child && !this.running
            ? new Error(
                `${this.name} exited during start-up (exit code ${child.exitCode}, signal ${child.signalCode})\n` +
                  `--- last lines of ${this.logFile} ---\n${this.logTail()}`,
              )
            : undefined,
      });
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** SIGTERM (or `stopSignal`), then SIGKILL if the process is still there after the grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.signal(this.options.stopSignal ?? 'SIGTERM');
    // A stopped process only acts on SIGTERM once it runs again.
    if (this.isPaused) this.resume();
    const graceMs = this.options.stopGraceMs ?? 5_000;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(graceMs, true, { ref: false }),
    ]);
    if (timedOut) await this.kill();
  }

  /** SIGKILL, like a machine losing power; waits until the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing, like a long GC pause. */
  pause(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.signal('SIGSTOP');
    this.isPaused = true;
    // The stop reaches each thread when the kernel next runs it: on a loaded machine a thread may still answer
    // a moment after kill(2) returned. Return only once every thread is stopped, so "paused" means it.
    awaitStopped(this.lastPid, 2_000);
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    if (!this.running) throw new Error(`${this.name} is not running`);
    this.signal('SIGCONT');
    this.isPaused = false;
  }

  /** Stops (gracefully) if running, then starts again with the same command line and waits until ready. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Last `lines` lines of the log file; empty when it cannot be read. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '';
    }
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(this.lastPid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/** Waits (blocking, bounded) until every thread of `pid` is stopped, as /proc shows it; no-op where there is no /proc. */
function awaitStopped(pid: number, timeoutMs: number): void {
  const deadline = performance.now() + timeoutMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (performance.now() < deadline) {
    if (allStopped(pid)) return;
    Atomics.wait(nap, 0, 0, 1);
  }
}

function allStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true; // gone, or no /proc: nothing to wait for
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'T' && state !== 't' && state !== 'Z' && state !== 'X') return false;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return true;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerPid, unregisterPid } from '@lock/testkit';
import type { EtcdLockProvider } from '../src/index.js';

/** Path of a test fixture. */
export function fixture(file: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', file);
}

/** A spawned child whose stdout lines can be awaited; registered with the testkit reaper. */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';
  errors = '';
  private readonly lineWaiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> =
    [];
  private readonly lines: string[] = [];

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.process = spawn(command, args, {
      env: { ...process.env, ...env },
      // stdin is a pipe a fixture may read (an unread pipe keeps no child alive).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`${command} failed to spawn`);
    registerPid(pid);
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => {
        unregisterPid(pid);
        resolve({ code, signal });
      }),
    );
    let partial = '';
    this.process.stdout?.setEncoding('utf8');
    this.process.stdout?.on('data', (chunk: string) => {
      this.output += chunk;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.onLine(line);
    });
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (chunk: string) => {
      this.errors += chunk;
    });
  }

  get pid(): number {
    return this.process.pid as number;
  }

  /** Resolves with the first stdout line (seen or to come) that passes `test`. */
  line(test: (line: string) => boolean = () => true, timeoutMs = 20_000): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no matching line within ${timeoutMs} ms; stdout: ${this.output} stderr: ${this.errors}`,
            ),
          ),
        timeoutMs,
      );
      this.lineWaiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }

  async stop(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.lineWaiters]) {
      if (waiter.test(line)) {
        this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}

/** `etcdctl` (API v3) against `endpoints`. */
export function etcdctl(endpoints: string[], args: string[]): Child {
  return new Child('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...args], { ETCDCTL_API: '3' });
}

/** Keys under a lock's prefix: owner first. */
export async function queueLength(provider: EtcdLockProvider, name: string): Promise<number> {
  const status = await provider.status(name);
  return (status.owner === null ? 0 : 1) + status.waiters.length;
}

/** Polls `check` until it returns true, or throws after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > end) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

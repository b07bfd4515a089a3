import { type ChildProcess, spawn } from 'node:child_process';
import { registerPid, unregisterPid } from './process-registry.js';

/**
 * A spawned child (a fixture that holds a lock, say) whose stdout lines can be awaited, registered with the
 * testkit's reaper so it dies with the test run. Stop it by its PID: `signal()`, `stop()`.
 */
export class LineChild {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';
  errors = '';
  private readonly waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  private readonly lines: string[] = [];

  /** @param env variables added to this process's environment for the child */
  constructor(command: string, args: string[], env?: Record<string, string>) {
    this.process = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
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
      for (const line of parts) {
        this.lines.push(line);
        for (const waiter of [...this.waiters]) {
          if (!waiter.test(line)) continue;
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
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
      this.waiters.push({
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
}

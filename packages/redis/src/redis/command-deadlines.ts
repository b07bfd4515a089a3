import type { ConnectionWatch } from '../shared/connection-watch.js';
import { CommandTimeoutError } from './command-timeout-error.js';

interface Pending {
  readonly deadline: number;
  readonly command: string;
  readonly timeoutMs: number;
  readonly reject: (error: unknown) => void;
}

/**
 * Bounds how long callers wait for Redis replies, with one coarse timer per provider instead of a timer per
 * command (a `setTimeout` + `clearTimeout` pair per call was measurable on the uncontended path). A call fails
 * with a {@link CommandTimeoutError} between `timeoutMs` and `timeoutMs` plus a quarter of the provider's
 * `commandTimeoutMs` after it started. The command itself goes on (ioredis cannot withdraw a queued command):
 * the caller undoes its effect if it matters.
 */
export class CommandDeadlines {
  private readonly pending = new Set<Pending>();
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;

  /** `connection`: what the timeout errors say about the connection (its latest error, its state). */
  constructor(
    readonly timeoutMs: number,
    readonly connection?: ConnectionWatch,
  ) {
    this.tickMs = Math.max(5, Math.ceil(timeoutMs / 4));
  }

  /** Settles with `operation`, or rejects once `timeoutMs` (default: the provider's) has passed. */
  bound<T>(operation: Promise<T>, command: string, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: performance.now() + timeoutMs, command, timeoutMs, reject };
      this.pending.add(entry);
      if (this.timer === undefined) {
        this.timer = setInterval(() => this.sweep(), this.tickMs);
        // Never keeps a process alive by itself: a pending command's connection does that.
        this.timer.unref();
      }
      operation.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.pending.delete(entry);
          reject(error);
        },
      );
    });
  }

  private sweep(): void {
    if (this.pending.size === 0) {
      // Idle for a whole tick: stop until the next call.
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(entry);
      entry.reject(new CommandTimeoutError(entry.command, entry.timeoutMs, this.connection));
    }
  }
}

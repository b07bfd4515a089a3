/**
 * The acquisitions of one provider that are under way, for `close()`: each may still queue a waiter or receive a
 * grant on the server, so `close()` wakes the waiters blocked in `BLPOP` (they then leave the queue and give back
 * a grant handed to them meanwhile, on the main connection) and waits for every acquisition to settle before it
 * closes the connections. Otherwise queue entries, waiter lists and handed-over grants stay on the server, and
 * other processes wait out a TTL for a lock nobody holds.
 */
export class Acquisitions {
  private count = 0;
  private whenIdle: (() => void) | undefined;
  private readonly wakers = new Set<() => void>();

  /** Counts one acquisition as under way; call {@link end} once it has settled (and cleaned up). */
  begin(): void {
    this.count += 1;
  }

  end(): void {
    this.count -= 1;
    if (this.count === 0) this.whenIdle?.();
  }

  /** Registers a blocked waiter's wake-up: it ends its `BLPOP` so the waiter can leave the queue. */
  blocked(wake: () => void): void {
    this.wakers.add(wake);
  }

  unblocked(wake: () => void): void {
    this.wakers.delete(wake);
  }

  /**
   * Wakes every blocked waiter, and resolves once no acquisition is under way, or after `graceMs` (a server
   * that is gone never answers; what is left then runs out with its TTL or the waiter's deadline).
   */
  drain(graceMs: number): Promise<void> {
    for (const wake of [...this.wakers]) wake();
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, graceMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      const previous = this.whenIdle;
      this.whenIdle = () => {
        previous?.();
        done();
      };
    });
  }
}

import type { ServerProcess } from './server-process.js';

/**
 * What every server handle (a Redis server, an etcd member, a ZooKeeper server) can do to its process:
 * the lifecycle used for fault injection, always by PID.
 */
export abstract class ServerHandle {
  /** @internal */
  protected abstract readonly process: ServerProcess;

  /** PID of the current (or last) process. */
  get pid(): number {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  get paused(): boolean {
    return this.process.paused;
  }

  /** Starts the process (again) and waits until it is ready. @internal */
  start(): Promise<void> {
    return this.process.start();
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void> {
    return this.process.stop();
  }

  /** SIGKILL. */
  kill(): Promise<void> {
    return this.process.kill();
  }

  /** Stops and starts again on the same ports and data directory, and waits until ready. */
  restart(): Promise<void> {
    return this.process.restart();
  }

  /** SIGSTOP. */
  pause(): void {
    this.process.pause();
  }

  /** SIGCONT. */
  resume(): void {
    this.process.resume();
  }
}

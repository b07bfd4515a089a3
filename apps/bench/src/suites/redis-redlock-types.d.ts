// redlock 5.0.0-beta.2 ships types but its `exports` map does not point to them under NodeNext; this is the
// part of its API the Redis suite uses.
declare module 'redlock' {
  import type { Redis } from 'ioredis';

  export interface RedlockLock {
    release(): Promise<unknown>;
  }

  export default class Redlock {
    constructor(
      clients: Iterable<Redis>,
      settings?: Partial<{
        retryCount: number;
        retryDelay: number;
        retryJitter: number;
        driftFactor: number;
      }>,
    );
    acquire(resources: string[], durationMs: number): Promise<RedlockLock>;
  }
}

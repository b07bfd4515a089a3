// The three Redis locks under comparison, behind one tiny interface, each on connections whose commands are
// counted (client side, so polling retries and blocking pops count the same as scripts).
import type { Redis } from 'ioredis';
import { redisRuntime } from './redis-runtime.js';

/** One contender's lock on one key. */
export interface BenchLock {
  acquire(): Promise<{ release(): Promise<unknown> }>;
  close(): Promise<void>;
}

export type ContenderName = '@lock/redis' | 'redlock' | 'redis-semaphore';
export const CONTENDERS: readonly ContenderName[] = ['@lock/redis', 'redis-semaphore', 'redlock'];

/** Commands sent by a client and every duplicate made from it. */
export interface CommandCounter {
  sent: number;
}

/** Counts every command written by `client` (and by its duplicates, e.g. blocking connections). */
export function counted(client: Redis, counter: CommandCounter): Redis {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    counter.sent += 1;
    return send(...args);
  }) as Redis['sendCommand'];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<Redis['duplicate']>) =>
    counted(duplicate(...args), counter)) as Redis['duplicate'];
  return client;
}

const TTL_MS = 10_000;

/** Builds a contender's lock on `key` over a fresh counted connection to `url`. */
export async function makeLock(
  name: ContenderName,
  url: string,
  key: string,
  counter: CommandCounter,
): Promise<BenchLock> {
  const { Redis, RedisProvider, Redlock, Mutex } = await redisRuntime();
  const client = counted(new Redis(url), counter);
  await client.ping();
  switch (name) {
    case '@lock/redis': {
      const provider = new RedisProvider({ client, ttlMs: TTL_MS });
      const lock = provider.lock(key);
      return {
        acquire: () => lock.acquire(),
        close: async () => {
          await provider.close();
          client.disconnect();
        },
      };
    }
    case 'redlock': {
      // Retry forever every 10 ms (+ up to 10 ms jitter): the same polling pace as redis-semaphore's default.
      const redlock = new Redlock([client], { retryCount: -1, retryDelay: 10, retryJitter: 10 });
      return {
        acquire: () => redlock.acquire([key], TTL_MS),
        close: async () => {
          client.disconnect();
        },
      };
    }
    case 'redis-semaphore': {
      const mutex = new Mutex(client, key, { lockTimeout: TTL_MS, acquireTimeout: 120_000 });
      return {
        acquire: async () => {
          await mutex.acquire();
          return { release: () => mutex.release() };
        },
        close: async () => {
          client.disconnect();
        },
      };
    }
  }
}

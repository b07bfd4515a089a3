// The Redis suite's peers and packages, loaded when the suite runs and not before: `bench mutex` must run
// without a Redis client installed or loaded (the ZooKeeper client is a native addon). tsup keeps them
// external (skipNodeModulesBundle), so these are plain dynamic imports.
import type * as LockRedis from '@lock/redis';
import type * as Testkit from '@lock/testkit';
import type * as IORedis from 'ioredis';
import type * as RedisSemaphore from 'redis-semaphore';
import type Redlock from 'redlock';

const load = (specifier: string): Promise<unknown> => import(specifier);

/** Runtime modules of the Redis suite. */
export interface RedisRuntime {
  Redis: typeof IORedis.Redis;
  RedisProvider: typeof LockRedis.RedisProvider;
  Redlock: typeof Redlock;
  Mutex: typeof RedisSemaphore.Mutex;
  startRedis: typeof Testkit.startRedis;
}

let cached: Promise<RedisRuntime> | undefined;

export function redisRuntime(): Promise<RedisRuntime> {
  cached ??= (async () => {
    const [ioredis, lockRedis, redlock, semaphore, testkit] = (await Promise.all(
      ['ioredis', '@lock/redis', 'redlock', 'redis-semaphore', '@lock/testkit'].map(load),
    )) as [
      typeof IORedis,
      typeof LockRedis,
      { default: typeof Redlock },
      typeof RedisSemaphore,
      typeof Testkit,
    ];
    return {
      Redis: ioredis.Redis,
      RedisProvider: lockRedis.RedisProvider,
      Redlock: redlock.default,
      Mutex: semaphore.Mutex,
      startRedis: testkit.startRedis,
    };
  })();
  return cached;
}

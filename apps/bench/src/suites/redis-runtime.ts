// The bench is bundled by tsup, which would inline ioredis (CommonJS that requires Node built-ins, which an
// ESM bundle cannot do) and the testkit (which finds its child scripts beside its own files). The Redis suite
// therefore loads them from node_modules at run time, through a specifier the bundler cannot see.
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

import { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js';

/** N independent Redis servers (no replication between them), e.g. for Redlock. */
export class RedisInstances implements AsyncDisposable {
  readonly servers: readonly RedisServer[];

  /** @internal Use {@link startRedisInstances}. */
  constructor(servers: RedisServer[]) {
    this.servers = servers;
  }

  /** Ports, in start order. */
  get ports(): number[] {
    return this.servers.map((server) => server.port);
  }

  /** Stops every server and removes their temp directories. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Starts `count` independent Redis servers; if one fails, the others are stopped. */
export async function startRedisInstances(
  count: number,
  options: Omit<StartRedisOptions, 'replicaOf'> = {},
): Promise<RedisInstances> {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  // One after another: parallel starts could probe the same just-released port (each is ready in ~0.1 s).
  const servers: RedisServer[] = [];
  try {
    for (let index = 0; index < count; index += 1) servers.push(await startRedis(options));
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  return new RedisInstances(servers);
}

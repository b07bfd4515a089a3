import { afterAll, describe, expect, it } from 'vitest';
import {
  type RedisInstances,
  type RedisReplicaPair,
  type RedisServer,
  RespClient,
  startRedis,
  startRedisInstances,
  startRedisReplicaPair,
} from '../src/index.js';
import { expectAllGone } from './pid-assertions.js';

const spawned = new Set<number>();

afterAll(() => {
  expectAllGone(spawned);
});

describe('startRedis', () => {
  let redis: RedisServer;

  it('starts on a loopback port and answers PING', async () => {
    redis = await startRedis();
    spawned.add(redis.pid);
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await redis.command('PING')).toBe('PONG');
    expect(await redis.role()).toBe('master');
  });

  it('pauses and resumes: a paused server does not answer', async () => {
    const client = await RespClient.connect(redis.port);
    try {
      redis.pause();
      const reply = client.command('PING');
      const raced = await Promise.race([
        reply,
        new Promise((resolve) => setTimeout(resolve, 300, 'timeout')),
      ]);
      expect(raced).toBe('timeout');
      redis.resume();
      expect(await reply).toBe('PONG');
    } finally {
      client.close();
    }
  });

  it('restarts on the same port with its data gone, under a new pid', async () => {
    await redis.command('SET', 'k', 'v');
    const { port, pid } = redis;
    await redis.restart();
    spawned.add(redis.pid);
    expect(redis.port).toBe(port);
    expect(redis.pid).not.toBe(pid);
    expect(await redis.command('GET', 'k')).toBeNull();
  });

  it('kill() is SIGKILL and close() removes everything', async () => {
    await redis.kill();
    expect(redis.running).toBe(false);
    await redis.close();
  });
});

describe('startRedisReplicaPair', () => {
  let pair: RedisReplicaPair;

  it('starts a primary and a synced replica', async () => {
    pair = await startRedisReplicaPair();
    for (const member of pair.members) spawned.add(member.pid);
    expect((await pair.replica.info('replication')).master_link_status).toBe('up');
    expect(await pair.replica.role()).toBe('slave');
    expect(await pair.leader()).toBe(pair.primary);
    await pair.primary.command('SET', 'k', 'v');
    await pair.primary.command('WAIT', 1, 1000);
  });

  it('names the replica as leader after a manual failover', async () => {
    await pair.primary.kill();
    await pair.replica.command('REPLICAOF', 'NO', 'ONE');
    expect(await pair.leader()).toBe(pair.replica);
    await pair.close();
  });
});

describe('startRedisInstances', () => {
  let instances: RedisInstances;

  it('starts five independent servers on distinct ports', async () => {
    instances = await startRedisInstances(5);
    for (const server of instances.servers) spawned.add(server.pid);
    expect(new Set(instances.ports).size).toBe(5);
    for (const server of instances.servers) expect(await server.command('PING')).toBe('PONG');
    await instances.close();
  });
});

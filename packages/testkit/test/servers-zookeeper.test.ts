import { afterAll, describe, expect, it } from 'vitest';
import { startZooKeeper } from '../src/index.js';
import { expectAllGone } from './pid-assertions.js';

const spawned = new Set<number>();

afterAll(() => {
  expectAllGone(spawned);
});

describe('startZooKeeper, standalone', () => {
  it('starts, answers four-letter words, pauses, restarts and closes', async () => {
    const zk = await startZooKeeper();
    try {
      const [server] = zk.servers;
      spawned.add(server!.pid);
      expect(zk.connectionString).toBe(`127.0.0.1:${server!.clientPort}`);
      expect(await zk.fourLetter('ruok')).toBe('imok');
      expect(await server!.mode()).toBe('standalone');
      expect(await zk.leader()).toBe(server);
      expect(await zk.fourLetter('conf')).toContain('tickTime=500');
      expect(await zk.fourLetter('mntr')).toContain('zk_watch_count');

      server!.pause();
      await expect(server!.fourLetter('ruok', 300)).rejects.toThrow(/no answer/);
      server!.resume();
      expect(await server!.fourLetter('ruok')).toBe('imok');

      await server!.restart();
      spawned.add(server!.pid);
      expect(await server!.mode()).toBe('standalone');
    } finally {
      await zk.close();
    }
  });
});

describe('startZooKeeper, three servers', () => {
  it('names a leader with srvr, and a new one after the leader is killed', async () => {
    const zk = await startZooKeeper({ servers: 3 });
    try {
      for (const server of zk.servers) spawned.add(server.pid);
      expect(zk.connectionString.split(',')).toHaveLength(3);
      const modes = await Promise.all(zk.servers.map((server) => server.mode()));
      expect(modes.filter((mode) => mode === 'leader')).toHaveLength(1);
      expect(modes.filter((mode) => mode === 'follower')).toHaveLength(2);

      const first = await zk.leader();
      await first.kill();
      const second = await zk.leader();
      expect(second).not.toBe(first);
    } finally {
      await zk.close();
    }
  });
});

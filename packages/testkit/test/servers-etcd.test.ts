import { afterAll, describe, expect, it } from 'vitest';
import { expectAllGone } from './pid-assertions.js';
import { type EtcdCluster, httpJsonForTests, startEtcd } from './servers-helpers.js';

const spawned = new Set<number>();

afterAll(() => {
  expectAllGone(spawned);
});

async function put(cluster: EtcdCluster, key: string, value: string): Promise<void> {
  const { status } = await httpJsonForTests(`${cluster.endpoints[0]}/v3/kv/put`, {
    key: Buffer.from(key).toString('base64'),
    value: Buffer.from(value).toString('base64'),
  });
  expect(status).toBe(200);
}

describe('startEtcd, one member', () => {
  it('starts, names itself leader, pauses, restarts with its data and closes', async () => {
    const cluster = await startEtcd();
    try {
      const [member] = cluster.members;
      spawned.add(member!.pid);
      expect(cluster.endpoints).toEqual([`http://127.0.0.1:${member!.clientPort}`]);
      expect(await cluster.leader()).toBe(member);
      await put(cluster, 'k', 'v');

      member!.pause();
      await expect(member!.status(300)).rejects.toThrow(/did not answer/);
      member!.resume();
      expect((await member!.status()).memberId).toMatch(/^\d+$/);

      await member!.restart();
      spawned.add(member!.pid);
      const { body } = await httpJsonForTests(`${cluster.endpoints[0]}/v3/kv/range`, {
        key: Buffer.from('k').toString('base64'),
      });
      expect((body as { count?: string }).count).toBe('1');
    } finally {
      await cluster.close();
    }
  });
});

describe('startEtcd, three members', () => {
  it('elects a leader, and a new one after the leader is killed', async () => {
    const cluster = await startEtcd({ members: 3 });
    try {
      for (const member of cluster.members) spawned.add(member.pid);
      expect(cluster.endpoints).toHaveLength(3);
      const first = await cluster.leader();
      await first.kill();
      const second = await cluster.leader();
      expect(second).not.toBe(first);
      expect(second.running).toBe(true);
      await first.restart();
      spawned.add(first.pid);
      expect(cluster.members.every((member) => member.running)).toBe(true);
    } finally {
      await cluster.close();
    }
  });
});

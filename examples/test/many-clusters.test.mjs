// Guide: many clusters (docs/guides/many-clusters.md).
import { startRedis } from '@lock/testkit/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockScript, runExample } from './run-example.mjs';

describe('many clusters', () => {
  let servers = [];
  let env;

  beforeAll(async () => {
    servers = await Promise.all([startRedis(), startRedis()]);
    env = { REDIS_URLS: servers.map((server) => server.url).join(',') };
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it('two processes with one cluster list route every name alike: each held name is refused to the other', async () => {
    const run = await runExample(process.execPath, ['many-clusters/sessions.mjs'], { env });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('excluded: 10 of 10\n');
    const perCluster = JSON.parse(/names per cluster: (.*)\n/.exec(run.stdout)[1]);
    expect(Object.keys(perCluster).sort()).toEqual(['shard-1', 'shard-2']);

    // `lock explain` on the guide's lock.config.json (other addresses, the same ids) routes each name to the
    // same cluster: a route follows the cluster ids, not the addresses.
    for (const [, name, id] of run.stdout.matchAll(/^(sessions:\d+) -> (shard-\d)$/gm)) {
      const explain = await runExample(process.execPath, [
        lockScript,
        'explain',
        name,
        '--config',
        'many-clusters/lock.config.json',
        '--offline',
        '--json',
      ]);
      expect(explain, explain.stderr).toMatchObject({ code: 0 });
      expect(JSON.parse(explain.stdout)).toMatchObject({ chosen: 'shards', cluster: { id } });
    }
  });

  it('mutant: a process with a different cluster list is not excluded from the names it routes elsewhere', async () => {
    const run = await runExample(process.execPath, ['many-clusters/sessions.mjs', '--mismatch'], { env });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(Number(/excluded: (\d+) of 10/.exec(run.stdout)?.[1])).toBeLessThan(10);
  });
});

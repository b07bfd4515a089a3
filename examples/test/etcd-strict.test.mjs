// Guide: strict exclusion on etcd (docs/guides/etcd-strict.md).
import { startEtcd } from '@lock/testkit/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample } from './run-example.mjs';

describe('strict exclusion on etcd', () => {
  let etcd;

  beforeAll(async () => {
    etcd = await startEtcd({ members: 3 });
  });

  afterAll(async () => {
    await etcd?.close();
  });

  it('three instances on a 3-member cluster never overlap a step; tokens rise', async () => {
    const run = await runExample(process.execPath, ['etcd-strict/deploy.mjs'], {
      env: { ETCD_ENDPOINTS: etcd.endpoints.join(',') },
    });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('steps: 9 of 9\n');
    expect(run.stdout).toContain('tokens: 9 grants, strictly rising\n');
  });

  it('mutant: without the lock, steps are lost', async () => {
    const run = await runExample(process.execPath, ['etcd-strict/deploy.mjs', '--no-lock'], {
      env: { ETCD_ENDPOINTS: etcd.endpoints.join(',') },
    });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(Number(/steps: (\d+) of 9/.exec(run.stdout)?.[1])).toBeLessThan(9);
  });
});

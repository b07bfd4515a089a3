// Guide: worker threads of one service (docs/guides/worker-threads.md).
import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.mjs';

describe('worker threads of one service', () => {
  it('the shared mutex loses no increment, the semaphore admits 2, a dead holder is reported', async () => {
    const run = await runExample(process.execPath, ['worker-threads/service.mjs']);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('counter: 800 of 800\n');
    expect(run.stdout).toContain('exports: at most 2 at once (permits: 2)\n');
    expect(run.stdout).toContain('after a worker died holding the lock: previousOwnerDied=true\n');
  });

  it('mutant: without the mutex, increments are lost', async () => {
    const run = await runExample(process.execPath, ['worker-threads/service.mjs', '--no-lock']);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    const counted = Number(/counter: (\d+) of 800/.exec(run.stdout)?.[1]);
    expect(counted).toBeLessThan(800);
  });
});

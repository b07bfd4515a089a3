// Guide: a cron job on one host (docs/guides/cron-job.md).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countOverlaps, lockScript, runExample } from './run-example.mjs';

describe('cron job on one host', () => {
  let dir;
  let env;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lock-example-cron-'));
    // Its own lock directory, so other tests on this machine never share the lock.
    env = { XDG_RUNTIME_DIR: dir, BACKUP_LOG: join(dir, 'backup.log') };
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function logLines() {
    return (await readFile(env.BACKUP_LOG, 'utf8')).trim().split('\n');
  }

  it('two `lock run nightly` and two nightly.mjs started at once run one after another, tokens rising', async () => {
    const runs = await Promise.all([
      runExample(process.execPath, [lockScript, 'run', 'nightly', '--', './cron-job/backup.sh'], { env }),
      runExample(process.execPath, [lockScript, 'run', 'nightly', '--', './cron-job/backup.sh'], { env }),
      runExample(process.execPath, ['cron-job/nightly.mjs'], { env }),
      runExample(process.execPath, ['cron-job/nightly.mjs'], { env }),
    ]);
    for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
    const lines = await logLines();
    expect(lines).toHaveLength(8);
    expect(countOverlaps(lines)).toBe(0);
    const tokens = lines
      .filter((line) => line.startsWith('start '))
      .map((line) => BigInt(line.split(' ')[1]));
    expect(tokens.every((token, index) => index === 0 || token > tokens[index - 1])).toBe(true);
  });

  it('mutant: the same jobs without the lock overlap', async () => {
    await Promise.all([
      runExample('./cron-job/backup.sh', [], { env }),
      runExample('./cron-job/backup.sh', [], { env }),
    ]);
    expect(countOverlaps(await logLines())).toBe(1);
  });
});

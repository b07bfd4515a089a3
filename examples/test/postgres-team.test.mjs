// Guide: a team on Postgres (docs/guides/postgres-team.md).
import { startPostgres } from '@lock/testkit/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample } from './run-example.mjs';

describe('a team on Postgres', () => {
  let postgres;

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterAll(async () => {
    await postgres?.close();
  });

  it('three instances asked to send one invoice send it once', async () => {
    const run = await runExample(process.execPath, ['postgres-team/team.mjs'], {
      env: { DATABASE_URL: postgres.url },
    });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^invoice 42: sent 1 time\(s\), by instance-[123]\n$/);
  });

  it('mutant: without the lock every instance sends it', async () => {
    const run = await runExample(process.execPath, ['postgres-team/team.mjs', '--no-lock'], {
      env: { DATABASE_URL: postgres.url },
    });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^invoice 42: sent 3 time\(s\)/);
  });
});

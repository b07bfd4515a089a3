import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function lock(...args: string[]) {
  // Run from another directory: the worker scripts must be found relative to the built file.
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: '/', timeout: 120_000 });
}

describe('lock demo (built, end to end)', () => {
  it('is built', () => {
    expect(existsSync(main), `${main} is missing: run pnpm --filter @lock/cli build`).toBe(true);
  });

  it('runs every experiment on worker threads and exits 0 with correct locked runs (--json)', () => {
    const result = lock('demo', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      results: { id: string; expected: number; actual: number; correct: boolean; locked: boolean }[];
    };
    expect(report.ok).toBe(true);
    const byId = Object.fromEntries(report.results.map((row) => [row.id, row]));
    expect(Object.keys(byId).sort()).toEqual([
      'count-mutex',
      'count-none-async',
      'count-none-workers',
      'count-shared-mutex',
      'order-none',
      'order-shared-mutex',
      'trylock-rounds',
    ]);
    for (const row of report.results.filter((row) => row.locked)) {
      expect(row.correct, row.id).toBe(true);
      expect(row.actual, row.id).toBe(row.expected);
    }
    expect(byId['count-mutex']!.actual).toBe(1000);
    expect(byId['count-shared-mutex']!.actual).toBe(1000);
    expect(byId['order-shared-mutex']!.actual).toBe(1);
    expect(byId['trylock-rounds']!.actual).toBe(10);
    // The same experiment without a lock must go wrong, or the locked runs prove nothing.
    expect(byId['count-none-async']!.actual).toBeLessThan(1000);
    expect(byId['count-none-async']!.locked).toBe(false);
  });

  it('prints a table by default and honours the size options', () => {
    const result = lock('demo', '--increments', '200', '--workers', '2', '--rounds', '3', '--buyers=6');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('200 concurrent increments');
    expect(result.stdout).toContain('SharedMutex');
    expect(result.stdout).toContain('lock failed');
    expect(result.stdout).toContain('Every locked run was exact');
  });

  it('--help exits 0; a bad option exits 2 and names it', () => {
    const help = lock('demo', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: lock demo');
    const bad = lock('demo', '--workers', 'many');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--workers');
    const unknown = lock('demo', '--fast');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--fast');
  });
});

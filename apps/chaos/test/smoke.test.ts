import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface CellJson {
  backend: string;
  fault: string;
  mutant: string;
  expect: string;
  passed: boolean;
  report: {
    violations: number;
    lostUpdates: { lost: number };
    stale: { staleAccepted: number };
    writes: { fail: number };
  };
}

async function chaos(args: string[]): Promise<{ code: number; cells: CellJson[] }> {
  try {
    const { stdout } = await run(process.execPath, [main, ...args, '--json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, cells: JSON.parse(stdout) as CellJson[] };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (!failed.stdout) throw new Error(`chaos failed: ${failed.stderr}`);
    return { code: failed.code, cells: JSON.parse(failed.stdout) as CellJson[] };
  }
}

// The CI smoke of the chaos runner: one cell per outcome class, each with the mutant
// that must turn red. The full matrix runs on demand: `pnpm chaos`.
describe('chaos smoke', () => {
  it('redis, holder paused past its TTL: fenced run shows no violation, fencing off loses updates', {
    timeout: 240_000,
  }, async () => {
    const { code, cells } = await chaos([
      '--backend',
      'redis',
      '--fault',
      'F2',
      '--operations',
      '80',
      '--seed',
      '1',
    ]);
    const [fenced, mutant] = cells;
    expect(fenced?.mutant).toBe('none');
    expect(fenced?.report.violations).toBe(0);
    expect(mutant?.mutant).toBe('fencing-off');
    expect(
      (mutant?.report.lostUpdates.lost ?? 0) + (mutant?.report.stale.staleAccepted ?? 0),
    ).toBeGreaterThan(0);
    expect(code).toBe(0);
  });

  it('etcd, holder kill -9: no violation, and the run without a lock loses updates', {
    timeout: 240_000,
  }, async () => {
    const { code, cells } = await chaos([
      '--backend',
      'etcd',
      '--fault',
      'F3',
      '--operations',
      '30',
      '--seed',
      '2',
    ]);
    const [correct, mutant] = cells;
    expect(correct?.report.violations).toBe(0);
    expect(mutant?.mutant).toBe('no-lock');
    expect(mutant?.report.lostUpdates.lost).toBeGreaterThan(0);
    expect(code).toBe(0);
  });
});

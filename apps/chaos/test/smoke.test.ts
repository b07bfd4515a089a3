import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface RunJson {
  backend: string;
  fault: string;
  run: 'correct' | 'control-off' | 'control-on';
  mutant: string;
  expect: string;
  passed: boolean;
  faults: string[];
  clientsStarted: number;
  verdict: string;
  report: {
    violations: number;
    faults: number;
    lostUpdates: { lost: number };
    stale: { staleAccepted: number };
    acquires: { fail: number };
  };
}

async function chaos(args: string[]): Promise<{ code: number; runs: RunJson[] }> {
  try {
    const { stdout } = await run(process.execPath, [main, ...args, '--json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, runs: JSON.parse(stdout) as RunJson[] };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (!failed.stdout) throw new Error(`chaos failed: ${failed.stderr}`);
    return { code: failed.code, runs: JSON.parse(failed.stdout) as RunJson[] };
  }
}

const unsafe = (cell: RunJson | undefined) =>
  (cell?.report.lostUpdates.lost ?? 0) + (cell?.report.stale.staleAccepted ?? 0);

// The CI smoke of the chaos runner: two cells on one Redis, each with its control run with the fault off
// (green) and on (red), so each green cell is checked against its fault. The full matrix runs on demand
// (`pnpm chaos`, see the README).
describe('chaos smoke', () => {
  it('redis F2 (holder paused past its TTL) and F3 (holder kill -9, replaced), each against its control', {
    timeout: 300_000,
  }, async () => {
    const { code, runs } = await chaos([
      '--backend',
      'redis',
      '--fault',
      'F2,F3',
      '--operations',
      '40',
      '--seed',
      '1',
    ]);
    const find = (fault: string, role: RunJson['run']) =>
      runs.find((cell) => cell.fault === fault && cell.run === role);
    const detail = runs.map((cell) => `${cell.fault} ${cell.run}: ${cell.verdict}`).join('\n');

    // F2: the fence keeps the paused holder's late write out; with the fence off the same pauses lose
    // updates, and without pauses the fence-off clients lose nothing.
    const f2 = find('F2', 'correct');
    expect(f2?.report.violations, detail).toBe(0);
    expect(f2?.report.faults, detail).toBeGreaterThan(0);
    expect(find('F2', 'control-off')?.mutant).toBe('fencing-off');
    expect(unsafe(find('F2', 'control-off')), detail).toBe(0);
    expect(find('F2', 'control-off')?.report.faults).toBe(0);
    expect(unsafe(find('F2', 'control-on')), detail).toBeGreaterThan(0);

    // F3: killed holders are replaced, so the cell kills more clients than it has; no waiter gives up.
    // A lease that never expires is fine without kills and leaves the lock stuck with them.
    const f3 = find('F3', 'correct');
    expect(f3?.report.violations, detail).toBe(0);
    expect(f3?.report.acquires.fail, detail).toBe(0);
    expect(f3?.faults.length ?? 0, detail).toBeGreaterThan(0);
    expect(f3?.clientsStarted ?? 0, detail).toBeGreaterThan(5);
    expect(find('F3', 'control-off')?.mutant).toBe('never-expires');
    expect(find('F3', 'control-off')?.report.acquires.fail, detail).toBe(0);
    expect(find('F3', 'control-on')?.report.acquires.fail, detail).toBeGreaterThan(0);

    for (const cell of runs)
      expect(cell.verdict, detail).toMatch(/^\d+ violations in \d+ operations and \d+ faults \(seed \d+\)/);
    expect(
      runs.every((cell) => cell.passed),
      detail,
    ).toBe(true);
    expect(code).toBe(0);
  });
});

import { expect } from 'vitest';
import { registeredPids } from '../src/index.js';

/** True if a process with this PID exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Asserts that every PID is gone (ESRCH) and that the registry holds nothing. */
export function expectAllGone(pids: Iterable<number>): void {
  for (const pid of pids) {
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid), `pid ${pid} is still alive`).toBe(false);
  }
  expect(registeredPids()).toEqual([]);
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileProvider } from '../src/index.js';

/** A fresh lock directory (mode 0700, under the OS temp dir) for one test file, removed by `cleanup()`. */
export function lockDirectory(label: string): { path: string; cleanup(): void } {
  const parent = mkdtempSync(join(tmpdir(), `lock-file-${label}-`));
  const path = join(parent, 'locks');
  return { path, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}

/** A provider on `directory`. */
export function makeProvider(directory: string): FileProvider {
  return new FileProvider({ directory });
}

/** Resolves after `ms` of wall time (for child processes to do their part; never asserted on). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

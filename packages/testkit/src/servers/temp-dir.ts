import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerTempDir, unregisterTempDir } from './process-registry.js';

/**
 * Creates `os.tmpdir()/<prefix>XXXXXX` and registers it, so it is removed even if the owner never gets to
 * call {@link removeTempDir} (a crash, a failed test that skipped its `close()`).
 */
export function createTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  registerTempDir(dir);
  return dir;
}

/** Removes a directory made by {@link createTempDir}. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  unregisterTempDir(dir);
}

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Rebuilds dist/ when any source file is newer, so child processes run the code under test. */
export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const built = join(root, 'dist', 'index.js');
  const sourceDir = join(root, 'src');
  const newest = Math.max(...readdirSync(sourceDir).map((file) => statSync(join(sourceDir, file)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  execFileSync('pnpm', ['exec', 'tsup'], { cwd: root, stdio: 'inherit' });
}

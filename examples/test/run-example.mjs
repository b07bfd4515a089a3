// Runs an example as a user would (a child process of its own) and collects what it prints.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The `lock` command's script, from @lock/cli's own `bin` entry: run with `node`, so the test does not depend on
 * the node_modules/.bin link (pnpm links it at install time, when a fresh clone has not built it yet).
 */
const cliManifestPath = createRequire(import.meta.url).resolve('@lock/cli/package.json');
export const lockScript = join(
  dirname(cliManifestPath),
  JSON.parse(readFileSync(cliManifestPath, 'utf8')).bin.lock,
);

/**
 * Spawns `command args` in `examplesDir` with `env` added to the environment, and resolves with its exit
 * code and output once it exits; rejects if it runs longer than `timeoutMs` (after killing it by PID).
 */
export function runExample(command, args, { env = {}, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: examplesDir, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} ran over ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Reads a log of `start TOKEN WHO` / `end TOKEN WHO` lines and counts the runs that began while another
 * was still running (0 when the runs excluded each other).
 */
export function countOverlaps(lines) {
  let running = 0;
  let overlaps = 0;
  for (const line of lines) {
    if (line.startsWith('start ')) {
      if (running > 0) overlaps += 1;
      running += 1;
    } else if (line.startsWith('end ')) {
      running -= 1;
    }
  }
  return overlaps;
}

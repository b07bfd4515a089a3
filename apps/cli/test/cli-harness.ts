import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI (turbo builds it before the tests). */
export const CLI = join(here, '..', 'dist', 'main.js');
export const FIXTURES = join(here, 'fixtures');

/** What one `lock` invocation did. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `lock` process. */
export interface CliProcess {
  pid: number;
  done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `lock ARGS` in `cwd` with `env` added to a clean copy of this process's environment. */
export function startCli(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): CliProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'pnpm --filter @lock/cli build' first`);
  const env: NodeJS.ProcessEnv = {};
  // A LOCK_CONFIG of the developer's shell must not leak into the tests.
  for (const [key, value] of Object.entries({ ...process.env, LOCK_CONFIG: undefined, ...options.env })) {
    if (value !== undefined) env[key] = value;
  }
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { pid: child.pid!, done, kill: (signal) => child.kill(signal) };
}

/** Runs `lock ARGS` to completion. */
export function runCli(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Lines of an NDJSON file (none if it does not exist yet). */
export function readEvents<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Polls until `check` is true (it may be async) or `timeoutMs` passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

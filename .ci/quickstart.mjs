#!/usr/bin/env node
// The README's quick start, for a fresh clone on a machine with only Node 20 and npm:
//   npm run demo  -> installs pnpm and the dependencies, builds the CLI, runs `lock demo` (no server needed)
//   npm test      -> the same, plus the servers the tests start (apt-get, when missing), then every check
// Each step prints what it runs, so a failure names the step.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '10.34.9';
const APT_PACKAGES = [
  'redis-server',
  'etcd-server',
  'etcd-client',
  'zookeeper',
  'chromium',
  'postgresql',
  'openssl',
];
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
};

function run(command, args, options = {}) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (result.status !== 0) {
    console.error(
      `\nquickstart: '${[command, ...args].join(' ')}' failed with exit code ${result.status ?? result.signal}`,
    );
    process.exit(result.status ?? 1);
  }
}

// Like run(), but also returns what the command printed (it still streams to the terminal as it goes).
function runTee(command, args) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  const chunks = [];
  const result = spawnSync(command, args, {
    cwd: root,
    env,
    stdio: ['inherit', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024 * 1024,
  });
  const text = result.stdout?.toString() ?? '';
  process.stdout.write(text);
  chunks.push(text);
  const counts = countTests(text);
  if (result.status !== 0) {
    console.error(
      `\nquickstart: '${[command, ...args].join(' ')}' failed with exit code ${result.status ?? result.signal}`,
    );
    console.log(
      `tests: ${counts.passed} passed, ${Math.max(1, counts.failed)} failed, ${counts.skipped} skipped`,
    );
    process.exit(result.status ?? 1);
  }
  return chunks.join('');
}

// Sums vitest's "Tests  N passed | M failed | K skipped (T)" lines of every package.
function countTests(text) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  for (const line of plain.split('\n')) {
    if (!/^\S*\s*Tests\s+\d/.test(line.replace(/^@lock\/[a-z]+:test:/, '').trimStart())) continue;
    for (const [, count, kind] of line.matchAll(/(\d+) (passed|failed|skipped)/g))
      counts[kind] += Number(count);
  }
  return counts;
}

function versionOf(command, args = ['--version']) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env }).trim();
  } catch {
    return undefined;
  }
}

function ensurePnpm() {
  if (versionOf('pnpm') === PNPM_VERSION) return 'pnpm';
  run('npm', ['install', '--global', `pnpm@${PNPM_VERSION}`]);
  return 'pnpm';
}

function hasPostgresServer() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return false;
  return readdirSync(base).some((major) => existsSync(join(base, major, 'bin', 'postgres')));
}

function ensureServers() {
  const missing = [];
  if (!versionOf('redis-server')) missing.push('redis-server');
  if (!versionOf('etcd')) missing.push('etcd-server');
  if (!versionOf('etcdctl', ['version'])) missing.push('etcd-client');
  if (!existsSync('/usr/share/java/zookeeper.jar')) missing.push('zookeeper');
  // lock stress --report is checked in a real headless browser.
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
  // Debian keeps PostgreSQL's server binaries off PATH, under its major version.
  if (!hasPostgresServer()) missing.push('postgresql');
  // The TLS tests make their certificates with openssl.
  if (!versionOf('openssl', ['version'])) missing.push('openssl');
  if (missing.length === 0) return;
  const install = `apt-get update && apt-get install -y ${APT_PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0 || !versionOf('apt-get')) {
    console.error(`quickstart: missing ${missing.join(', ')}; install them with:\n  sudo ${install}`);
    process.exit(1);
  }
  run('bash', ['-c', `DEBIAN_FRONTEND=noninteractive ${install} -qq`]);
}

const mode = process.argv[2];
const pnpm = ensurePnpm();
run(pnpm, ['install', '--frozen-lockfile']);
if (mode === 'demo') {
  run(pnpm, ['exec', 'turbo', 'run', 'build', '--filter=@lock/cli...', '--output-logs=errors-only']);
  run('node', ['apps/cli/dist/main.js', 'demo', ...process.argv.slice(3)]);
} else if (mode === 'test') {
  ensureServers();
  const started = performance.now();
  run(pnpm, ['exec', 'biome', 'check', '.']);
  // The release plan the pending changesets make (a changeset naming an ignored or unknown package fails here).
  run(pnpm, ['exec', 'changeset', 'status']);
  run(pnpm, ['exec', 'turbo', 'run', 'build', 'typecheck', 'lint', '--output-logs=errors-only']);
  const output = runTee(pnpm, ['exec', 'turbo', 'run', 'test', '--concurrency=1']);
  const counts = countTests(output);
  // Every publishable package installed alone from its tarball, outside the workspace, as a user installs it.
  run('node', ['.ci/check-packs.mjs']);
  // The release rehearsed in a throw-away clone: changeset version, then pnpm publish -r --dry-run.
  run('node', ['.ci/release-dry-run.mjs']);
  console.log(`\nquickstart: every check passed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  // The plain closing line, summed over every package's vitest run.
  console.log(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
} else {
  console.error('usage: node .ci/quickstart.mjs demo|test');
  process.exit(2);
}

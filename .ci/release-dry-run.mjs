#!/usr/bin/env node
// The release, rehearsed in a throw-away clone so the real tree is never touched: `changeset version` must pass
// and give every publishable package a CHANGELOG.md entry for its new version, then
// `pnpm publish -r --dry-run` must pass, and no manifest that would be published may hold a `workspace:` range.
// It publishes the dist/ the CI build step just made (copied from this tree), so run it after `turbo run build`.
//   node .ci/release-dry-run.mjs [--keep]     (--keep leaves the clone in place and prints where it is)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const started = performance.now();
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
};

const problems = [];
const fail = (what) => problems.push(what);

/** Runs a command in the clone, echoing it; returns stdout and stderr together. Exits on failure. */
function run(command, args, cwd) {
  console.log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    process.stdout.write(output);
    finish(`'${[command, ...args].join(' ')}' failed with exit code ${result.status ?? result.signal}`);
  }
  return output;
}

/** Every package of the workspace at `base` that is published (not private). */
function publishable(base) {
  const found = [];
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(base, group))) {
      const manifestPath = join(base, group, dir, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (!manifest.private) found.push({ dir: join(group, dir), manifest });
    }
  }
  return found;
}

const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];

/** The `field: name@range` entries of a manifest whose range still uses the workspace protocol. */
function workspaceRanges(manifest) {
  const leaks = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) leaks.push(`${field}: ${name}@${range}`);
    }
  }
  return leaks;
}

let clone;
function finish(fatal) {
  if (clone !== undefined && !keep) rmSync(dirname(clone), { recursive: true, force: true });
  if (fatal !== undefined) problems.push(fatal);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (problems.length > 0) {
    console.error(`\nrelease-dry-run: ${problems.length} problem(s) in ${seconds} s:`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exit(1);
  }
  if (keep) console.log(`release-dry-run: the clone is kept at ${clone}`);
  console.log(`\nrelease-dry-run: passed in ${seconds} s`);
  process.exit(0);
}

// 1. A clone of the committed tree (shared objects: fast, and the real repository is only read), with the
//    dist/ of each publishable package copied in and dependencies linked from the local store.
const packages = publishable(root);
for (const { dir, manifest } of packages) {
  if (!existsSync(join(root, dir, 'dist'))) finish(`${manifest.name}: ${dir}/dist is missing (build first)`);
}
clone = join(mkdtempSync(join(tmpdir(), 'lock-release-')), 'repo');
run('git', ['clone', '--quiet', '--shared', root, clone], root);
for (const { dir } of packages)
  cpSync(join(root, dir, 'dist'), join(clone, dir, 'dist'), { recursive: true });
run('pnpm', ['install', '--frozen-lockfile', '--offline', '--ignore-scripts', '--reporter=silent'], clone);

// 2. changeset version: every publishable package gets a new version and a CHANGELOG.md entry for it.
const before = new Map(publishable(clone).map(({ manifest }) => [manifest.name, manifest.version]));
const pending = readdirSync(join(clone, '.changeset')).filter(
  (name) => name.endsWith('.md') && name !== 'README.md',
).length;
console.log(run('pnpm', ['exec', 'changeset', 'version'], clone).trim());
for (const { dir, manifest } of publishable(clone)) {
  const from = before.get(manifest.name);
  const changelogPath = join(clone, dir, 'CHANGELOG.md');
  if (manifest.version === from) fail(`${manifest.name}: changeset version left it at ${from}`);
  if (!existsSync(changelogPath)) {
    fail(`${manifest.name}: no ${dir}/CHANGELOG.md after changeset version`);
    continue;
  }
  const changelog = readFileSync(changelogPath, 'utf8');
  if (!changelog.includes(`\n## ${manifest.version}\n`)) {
    fail(`${manifest.name}: ${dir}/CHANGELOG.md has no "## ${manifest.version}" entry`);
    continue;
  }
  const entry = changelog.split(`\n## ${manifest.version}\n`)[1].split('\n## ')[0];
  const lines = entry.split('\n').filter((line) => line.startsWith('- ')).length;
  console.log(`  ${manifest.name}: ${from} -> ${manifest.version}, CHANGELOG.md entry with ${lines} item(s)`);
}
const left = readdirSync(join(clone, '.changeset')).filter(
  (name) => name.endsWith('.md') && name !== 'README.md',
);
console.log(`  ${pending} changeset file(s) consumed, ${left.length} left`);
if (left.length > 0) fail(`changeset version left ${left.join(', ')} in .changeset/`);

// 3. pnpm publish -r --dry-run: passes, and names every publishable package it would publish.
const published = run('pnpm', ['publish', '-r', '--dry-run', '--no-git-checks'], clone);
const lines = published.split('\n');
for (const { manifest } of publishable(clone)) {
  const id = `${manifest.name}@${manifest.version}`;
  if (!lines.includes(`+ ${id}`)) fail(`${id}: pnpm publish -r --dry-run did not publish it`);
  const size = published.match(
    new RegExp(`name: ${manifest.name}\\n(?:.*\\n)*?npm notice package size: ([^\\n]+)`),
  );
  console.log(`  + ${id}${size ? ` (${size[1]} packed)` : ''}`);
}
if (published.includes('workspace:')) fail('pnpm publish -r --dry-run printed a workspace: range');
const warnings = [...new Set(lines.filter((line) => /\bwarn\b/i.test(line)))];
for (const warning of warnings) console.log(`  (publish printed: ${warning.trim()})`);

// 4. The manifests themselves: publish --dry-run shows only file lists, so pack each package the way publish
//    does and read the package.json inside the tarball. The source manifests still hold workspace: ranges,
//    which proves the check can see one (the broken variant: publishing the manifest unrewritten).
const packDir = join(dirname(clone), 'packs');
let sourceLeaks = 0;
for (const { dir, manifest } of publishable(clone)) {
  sourceLeaks += workspaceRanges(manifest).length;
  const out = run('pnpm', ['pack', '--pack-destination', packDir], join(clone, dir));
  const tarball = out.trim().split('\n').at(-1);
  const packed = JSON.parse(
    execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], {
      cwd: join(clone, dir),
      encoding: 'utf8',
    }),
  );
  const leaks = workspaceRanges(packed);
  if (leaks.length > 0) fail(`${manifest.name}: the packed manifest keeps ${leaks.join(', ')}`);
  console.log(`  ${relative(dirname(clone), tarball)}: ${leaks.length} workspace: range(s) in package.json`);
}
if (sourceLeaks === 0) {
  fail('no source manifest holds a workspace: range, so the leak check was never shown to catch one');
} else {
  console.log(
    `  the unrewritten source manifests hold ${sourceLeaks} workspace: range(s): the check sees them`,
  );
}

finish();

#!/usr/bin/env node
// Installs every publishable package as a user would: packs it (pnpm pack, which rewrites workspace: ranges),
// installs the tarball alone in an empty directory outside the workspace with only its declared peers (and
// the tarballs of its own @lock dependencies, which are not on a registry yet), then checks that each of its
// entry points loads with `import` and with `require`, and type-checks with moduleResolution node16 and
// bundler. Fails on a workspace: leak, a missing file, a wrong exports entry, a missing LICENSE or README.
//   node .ci/check-packs.mjs [package-name ...]     (default: every publishable package)
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const TOOLS = { typescript: '5.9.3', '@types/node': '20.19.43' };

/** Every package of the workspace that is published (not private), by name. */
function publishable() {
  const found = new Map();
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(root, group))) {
      const manifestPath = join(root, group, dir, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (manifest.private) continue;
      found.set(manifest.name, { dir: join(root, group, dir), manifest });
    }
  }
  return found;
}

function run(command, args, cwd, options = {}) {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
    },
    ...options,
  });
}

const problems = [];
const fail = (name, what) => problems.push(`${name}: ${what}`);

const packages = publishable();
const work = mkdtempSync(join(tmpdir(), 'lock-packs-'));
const packs = join(work, 'tarballs');
mkdirSync(packs);
const tarballs = new Map();
for (const [name, { dir }] of packages) {
  const out = run('pnpm', ['pack', '--pack-destination', packs], dir).trim().split('\n').at(-1).trim();
  tarballs.set(name, out.startsWith('/') ? out : join(packs, out));
}

// TypeScript and Node's types, installed once, used by every check.
const tools = join(work, 'tools');
mkdirSync(tools);
writeFileSync(join(tools, 'package.json'), '{"private":true}');
run(
  'npm',
  ['install', '--no-package-lock', ...Object.entries(TOOLS).map(([tool, version]) => `${tool}@${version}`)],
  tools,
);
const tsc = join(tools, 'node_modules', 'typescript', 'bin', 'tsc');

/** The @lock packages `name` depends on, transitively (their tarballs are installed with it). */
function lockDependencies(name, seen = new Set()) {
  for (const dependency of Object.keys(packages.get(name).manifest.dependencies ?? {})) {
    if (!packages.has(dependency) || seen.has(dependency)) continue;
    seen.add(dependency);
    lockDependencies(dependency, seen);
  }
  return seen;
}

/** The entry points a user can import: every `exports` key but ./package.json and JSON files. */
function entryPoints(manifest) {
  return Object.entries(manifest.exports ?? {})
    .filter(([key]) => key !== './package.json' && !key.endsWith('.json'))
    .map(([key, target]) => ({
      specifier: key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      conditions: typeof target === 'object' ? Object.keys(target) : ['default'],
    }));
}

/**
 * Splits tsc's output into diagnostics of ours (the check file, @lock packages, anything unattributed) and
 * diagnostics inside a third-party package's own declaration files. The latter are counted, not failed on:
 * a release of a peer (ioredis 6.1.0's .d.ts imports the untyped redis-errors) must not turn this check red,
 * and a user who type-checks libraries (skipLibCheck: false) sees them whether or not they use our package.
 */
function splitDiagnostics(output) {
  const ours = [];
  const upstream = new Map();
  for (const line of output.split('\n')) {
    const diagnostic = /^(\S+)\(\d+,\d+\): error /.exec(line);
    if (diagnostic === null) {
      if (/error TS/.test(line)) ours.push(line);
      continue;
    }
    const inPackage = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(diagnostic[1]);
    if (inPackage === null || inPackage[1].startsWith('@lock/')) ours.push(line);
    else upstream.set(inPackage[1], (upstream.get(inPackage[1]) ?? 0) + 1);
  }
  return { ours, upstream };
}

const upstream = new Set();
const report = [];
const wanted = only.length > 0 ? only : [...packages.keys()];
for (const name of wanted) {
  const entry = packages.get(name);
  if (entry === undefined) {
    fail(name, 'not a publishable package of this workspace');
    continue;
  }
  const { manifest } = entry;
  const tarball = tarballs.get(name);
  const files = run('tar', ['-tzf', tarball], work).split('\n').filter(Boolean);
  for (const required of ['package/LICENSE', 'package/README.md', 'package/package.json']) {
    if (!files.includes(required)) fail(name, `the tarball has no ${required.slice('package/'.length)}`);
  }
  const stray = files.filter((file) =>
    /\/(\.turbo|test|src|node_modules)\/|\.log$|\.tsbuildinfo$/.test(file),
  );
  if (stray.length > 0)
    fail(name, `the tarball holds files a user does not need: ${stray.slice(0, 5).join(', ')}`);
  const packedManifest = run('tar', ['-xzOf', tarball, 'package/package.json'], work);
  if (packedManifest.includes('workspace:')) fail(name, 'the packed package.json still says workspace:');

  const project = join(work, name.replace('/', '+'));
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
  );
  const peers = Object.entries(manifest.peerDependencies ?? {}).map(([peer, range]) => `${peer}@${range}`);
  const localTarballs = [...lockDependencies(name)].map((dependency) => tarballs.get(dependency));
  try {
    run('npm', ['install', '--no-package-lock', tarball, ...localTarballs, ...peers], project, {
      timeout: 600_000,
    });
  } catch (error) {
    fail(
      name,
      `npm install failed: ${String(error.stderr ?? error.message)
        .trim()
        .split('\n')
        .slice(-5)
        .join(' | ')}`,
    );
    continue;
  }
  const installed = join(project, 'node_modules', name);
  for (const [key, target] of Object.entries(manifest.exports ?? {})) {
    for (const file of typeof target === 'string'
      ? [target]
      : Object.values(target).flatMap((value) =>
          typeof value === 'string' ? [value] : Object.values(value),
        )) {
      if (!existsSync(join(installed, file)))
        fail(name, `exports["${key}"] points at ${file}, which the tarball does not have`);
    }
  }
  if (manifest.bin !== undefined) {
    for (const [bin, file] of Object.entries(
      typeof manifest.bin === 'string' ? { [name]: manifest.bin } : manifest.bin,
    )) {
      if (!existsSync(join(installed, file)))
        fail(name, `bin ${bin} points at ${file}, which the tarball does not have`);
      try {
        run(join(project, 'node_modules', '.bin', bin), ['--version'], project);
      } catch (error) {
        fail(name, `${bin} --version failed: ${String(error.stderr ?? error.message).trim()}`);
      }
    }
  }
  const entries = entryPoints(manifest);
  for (const { specifier, conditions } of entries) {
    if (conditions.includes('import') || conditions.includes('default')) {
      try {
        run('node', ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`], project);
      } catch (error) {
        fail(
          name,
          `import('${specifier}') failed: ${
            String(error.stderr)
              .trim()
              .split('\n')
              .find((line) => /Error/.test(line)) ?? error.message
          }`,
        );
      }
    }
    if (conditions.includes('require')) {
      try {
        run('node', ['-e', `require(${JSON.stringify(specifier)})`], project);
      } catch (error) {
        fail(
          name,
          `require('${specifier}') failed: ${
            String(error.stderr)
              .trim()
              .split('\n')
              .find((line) => /Error/.test(line)) ?? error.message
          }`,
        );
      }
    }
  }
  if (entries.length > 0) {
    writeFileSync(
      join(project, 'check.ts'),
      entries
        .map(
          ({ specifier }, index) => `import * as entry${index} from '${specifier}';\nvoid entry${index};\n`,
        )
        .join(''),
    );
    for (const [module, resolution] of [
      ['node16', 'node16'],
      ['esnext', 'bundler'],
    ]) {
      const config = {
        compilerOptions: {
          module,
          moduleResolution: resolution,
          target: 'es2022',
          lib: ['es2023', 'esnext.disposable'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(tools, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      };
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config));
      try {
        run('node', [tsc, '-p', 'tsconfig.json'], project);
      } catch (error) {
        const output = String(error.stdout || error.stderr).trim();
        const { ours, upstream: theirs } = splitDiagnostics(output);
        for (const [dependency, count] of theirs)
          upstream.add(
            `${name} (${resolution}): ${dependency}'s own declarations fail tsc (${count} error(s))`,
          );
        if (ours.length > 0)
          fail(name, `tsc (moduleResolution ${resolution}): ${ours.slice(0, 4).join(' | ')}`);
      }
    }
  }
  const packed = statSync(tarball).size;
  report.push([name, `${(packed / 1024).toFixed(1)} kB packed`, `${files.length} files`]);
}

console.log('\npackage sizes:');
for (const [name, size, count] of report) console.log(`  ${name.padEnd(16)} ${size.padStart(12)}  ${count}`);
rmSync(work, { recursive: true, force: true });
if (upstream.size > 0) {
  console.log(
    `\nupstream declaration problems (reported, not ours):\n${[...upstream].map((line) => `  - ${line}`).join('\n')}`,
  );
}
if (problems.length > 0) {
  console.error(
    `\ncheck-packs: ${problems.length} problem(s):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  `\ncheck-packs: ${report.length} packages install and load on their own (import, require, tsc node16 and bundler)`,
);

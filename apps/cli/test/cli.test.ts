import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

// Without servers: usage, help, configuration lookup and errors, explain output and exit codes.
const dir = mkdtempSync(join(tmpdir(), 'lock-cli-'));
const empty = mkdtempSync(join(tmpdir(), 'lock-cli-empty-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

// Nothing listens on port 1: explain must not connect.
const clusterConfig = {
  backends: {
    cache: { kind: 'redis', url: 'redis://127.0.0.1:1' },
    coord: { kind: 'etcd', endpoints: ['http://127.0.0.1:1'] },
  },
  policies: {
    'orders:*': { scope: 'cluster', durability: 'consensus', fencing: true },
    '*': { scope: 'cluster' },
  },
};

describe('lock (usage and help)', () => {
  it.each(['run', 'explain', 'status'])(
    'lock %s --help prints usage, options and exit codes',
    async (command) => {
      const result = await runCli([command, '--help'], { cwd: empty });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: lock ${command} NAME`));
      expect(result.stdout).toMatch(/Exit codes:/);
      expect(result.stdout).toMatch(/78 +bad configuration/);
    },
  );

  it('lock --version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V', 'version']) {
      const result = await runCli([flag], { cwd: empty });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`lock ${version}\n`);
    }
  });

  it('lock with no command prints the command list and exits 64', async () => {
    const result = await runCli([], { cwd: empty });
    expect(result.code).toBe(64);
    expect(result.stdout).toMatch(/Commands:[\s\S]*run[\s\S]*explain[\s\S]*status/);
  });

  it.each([
    [['run'], /missing NAME/],
    [['run', 'job'], /missing the command: put it after --/],
    [['run', 'job', '--'], /missing the command/],
    [
      ['run', 'job', '--timeout', 'soon', '--', 'true'],
      /--timeout expects an integer number of milliseconds/,
    ],
    [['run', 'job', '--ttl', '0', '--', 'true'], /--ttl expects an integer number of milliseconds from 1/],
    [['run', 'job', '--on-lost', 'explode', '--', 'true'], /--on-lost expects term, kill or ignore/],
    [['run', 'job', '--bogus', '--', 'true'], /Unknown option '--bogus'/],
    [['run', 'job', '--shared', '--write', '--', 'true'], /--shared and --write exclude each other/],
    [['run', 'job', '--write', '--permits', '2', '--', 'true'], /--write and --permits exclude each other/],
    [['run', 'job', '--permits', '0', '--', 'true'], /--permits expects a whole number of permits from 1/],
    [
      ['run', 'job', '--permits', '1000001', '--', 'true'],
      /--permits expects a whole number of permits from 1 to 1000000/,
    ],
    [['status', 'job', '--permits', 'many'], /--permits expects a whole number of permits/],
    [['run', 'a', 'b', '--', 'true'], /expected one NAME/],
    [['run', ' ', '--', 'true'], /Invalid name/],
    [['explain'], /expected exactly one NAME/],
    [['status', 'a', 'b'], /expected exactly one NAME/],
    [['frobnicate'], /unknown command "frobnicate"\n/],
    [['explian', 'x'], /unknown command "explian"; did you mean 'lock explain'\?/],
    [['run', 'job', '--timout', '5', '--', 'true'], /Unknown option '--timout'; did you mean --timeout\?/],
    [['status', 'job', '--jason'], /Unknown option '--jason'; did you mean --json\?/],
  ])('lock %j -> exit 64', async (args, message) => {
    const result = await runCli(args, { cwd: empty });
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });
});

describe('lock explain', () => {
  it('with no configuration: the embedded default, and lock run would use the host-wide file lock', async () => {
    const result = await runCli(['explain', 'counter'], { cwd: empty });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lock "counter": mutex \(mutex\)/);
    expect(result.stdout).toMatch(/config: embedded default/);
    expect(result.stdout).toMatch(/lock run adds scope >= host and would use file instead/);
  });

  it('prints the choice and a reason for every refused candidate', async () => {
    const config = writeConfig('cluster.json', clusterConfig);
    const result = await runCli(['explain', 'orders:42', '--config', config], { cwd: empty });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lock "orders:42": coord \(etcd\)/);
    expect(result.stdout).toMatch(
      /policy: "orders:\*", needs scope >= cluster, durability >= consensus, fencing/,
    );
    expect(result.stdout).toMatch(/cache \(redis\) +refused: durability single-node < consensus required/);
    expect(result.stdout).toMatch(/mutex \(mutex\) +refused: scope process < cluster required/);
    expect(result.stdout).toMatch(/file \(file\) +refused: scope host < cluster required/);
    expect(result.stdout).toMatch(/lock run adds scope >= host and would use the same backend/);
  });

  it('--json gives the ranked candidates, with the config source', async () => {
    const config = writeConfig('cluster-json.json', clusterConfig);
    const result = await runCli(['explain', 'users:7', '--json', '--config', config], { cwd: empty });
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.config).toEqual({ origin: 'flag', path: config });
    expect(parsed.chosen).toBe('cache');
    expect(parsed.policy).toBe('*');
    expect(parsed.candidates[0]).toMatchObject({ backend: 'cache', qualifies: true, chosen: true });
    expect(parsed.candidates[1]).toMatchObject({ backend: 'coord', qualifies: true, chosen: false });
    expect(parsed.run).toEqual({
      chosen: 'cache',
      cluster: { index: 0, id: 'redis://127.0.0.1:1' },
      unmet: [],
    });
  });

  it('shows the cluster a sharded name maps to', async () => {
    const config = writeConfig('sharded.json', {
      backends: {
        shards: {
          kind: 'redis',
          clusters: [
            { id: 'east', url: 'redis://127.0.0.1:1' },
            { id: 'west', url: 'redis://127.0.0.1:2' },
          ],
        },
      },
      policies: { '*': { scope: 'cluster' } },
    });
    const result = await runCli(['explain', 'orders:1', '--json', '--config', config], { cwd: empty });
    const parsed = JSON.parse(result.stdout);
    expect(['east', 'west']).toContain(parsed.cluster.id);
    const text = await runCli(['explain', 'orders:1', '--config', config], { cwd: empty });
    expect(text.stdout).toMatch(
      new RegExp(`shards \\(redis\\), cluster ${parsed.cluster.index + 1} of 2 \\(${parsed.cluster.id}\\)`),
    );
  });

  it('no backend for the name: exit 78 with the reasons', async () => {
    const config = writeConfig('weak.json', {
      backends: { cache: { kind: 'redis', url: 'redis://127.0.0.1:1' } },
      policies: { '*': { scope: 'cluster', durability: 'consensus' } },
    });
    const result = await runCli(['explain', 'x', '--config', config], { cwd: empty });
    expect(result.code).toBe(78);
    expect(result.stdout).toMatch(/no configured backend satisfies the needs/);
    expect(result.stdout).toMatch(/cache \(redis\) +refused: durability single-node < consensus required/);
  });
});

describe('configuration lookup and errors', () => {
  it('--config, else LOCK_CONFIG, else ./lock.config.json, else the embedded default', async () => {
    const inCwd = mkdtempSync(join(tmpdir(), 'lock-cli-cwd-'));
    try {
      writeFileSync(
        join(inCwd, 'lock.config.json'),
        JSON.stringify({ policies: { '*': { scope: 'threads' } } }),
      );
      const fromEnv = writeConfig('env.json', { policies: { '*': { blocking: false, backend: 'trylock' } } });
      const fromFlag = writeConfig('flag.json', clusterConfig);
      const chosen = async (args: string[], env: Record<string, string> = {}) =>
        JSON.parse((await runCli(['explain', 'n', '--json', ...args], { cwd: inCwd, env })).stdout);
      expect((await chosen([])).config.origin).toBe('cwd');
      expect((await chosen([])).chosen).toBe('shared-mutex');
      expect((await chosen([], { LOCK_CONFIG: fromEnv })).config.origin).toBe('env');
      expect((await chosen([], { LOCK_CONFIG: fromEnv })).chosen).toBe('trylock');
      expect((await chosen(['--config', fromFlag], { LOCK_CONFIG: fromEnv })).chosen).toBe('cache');
      expect((await chosen([], {})).config.path).toBe(join(inCwd, 'lock.config.json'));
    } finally {
      rmSync(inCwd, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'a bad field',
      { backends: { orders: { kind: 'redis', url: 42 } } },
      /Invalid configuration in .*: backends\.orders\.url: expected a redis:\/\/host:port URL .*, received 42/,
    ],
    ['bad JSON', '{ "policies": ', /valid JSON/],
    [
      'an unknown need',
      { policies: { '*': { scop: 'cluster' } } },
      /policies\["\*"\]\.scop: expected a known key; did you mean `scope`\?/,
    ],
  ])('%s -> exit 78 naming the field', async (_title, config, message) => {
    const path = writeConfig(`bad-${_title.replace(/\W/g, '')}.json`, config);
    for (const command of ['explain', 'status']) {
      const result = await runCli([command, 'job', '--config', path], { cwd: empty });
      expect(result.code).toBe(78);
      expect(result.stderr).toMatch(message);
    }
    const run = await runCli(['run', 'job', '--config', path, '--', 'true'], { cwd: empty });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(message);
  });

  it('a missing --config file -> exit 78 naming it', async () => {
    const missing = join(dir, 'missing.json');
    const result = await runCli(['run', 'job', '--config', missing, '--', 'true'], { cwd: empty });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toMatch(/no such file/);
  });

  it('a name that no policy covers -> exit 78, not a silent default', async () => {
    const config = writeConfig('no-policies.json', {
      backends: { cache: { kind: 'redis', url: 'redis://127.0.0.1:1' } },
    });
    for (const args of [
      ['run', 'job', '--config', config, '--', 'true'],
      ['explain', 'job', '--config', config],
    ]) {
      const result = await runCli(args, { cwd: empty });
      expect(result.code).toBe(78);
      expect(result.stderr).toMatch(
        /a name matched by a policy \(configured patterns: none; add a "\*" policy for a default\)/,
      );
    }
  });

  it('lock run with no configuration uses the host-wide file lock, never a lock that excludes nothing', async () => {
    const result = await runCli(
      [
        'run',
        'job',
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.LOCK_BACKEND, process.env.LOCK_FD)',
      ],
      { cwd: empty },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('file 3');
  });

  it('lock run with the file lock turned off and no server is refused (78), naming a kind that would fit', async () => {
    const config = writeConfig('no-builtins.json', { builtins: { file: false }, policies: { '*': {} } });
    const result = await runCli(['run', 'job', '--config', config, '--', 'true'], { cwd: empty });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/scope >= host/);
    expect(result.stderr).toMatch(/a backend of kind file \(npm install @lock\/file\)/);
  });

  it('lock status on a backend it cannot reach -> exit 69', async () => {
    const config = writeConfig('unreachable.json', {
      backends: { cache: { kind: 'redis', url: 'redis://127.0.0.1:1' } },
      policies: { '*': { scope: 'cluster' } },
    });
    const result = await runCli(['status', 'job', '--config', config, '--timeout', '1000'], { cwd: empty });
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(/redis/);
  });
});

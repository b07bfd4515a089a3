import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

// A backend kind the selector and this command have never heard of, named in the configuration by the module
// that describes it: explain, validation, the JSON Schema and lock run all work from its descriptor alone.
const dir = mkdtempSync(join(tmpdir(), 'lock-cli-kind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, backend: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      backends: { remote: { kind: 'fake', package: '@lock/testkit/fake-kind', ...backend } },
      policies: { '*': { scope: 'cluster' } },
    }),
  );
  return path;
}

describe('a kind from a package the CLI has never heard of', () => {
  const config = writeConfig('fake.json', { address: 'fake://one' });

  it('lock explain chooses it and says why', async () => {
    const result = await runCli(['explain', 'orders:1', '--config', config], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^lock "orders:1": remote \(fake\)/);
    expect(result.stdout).toMatch(/mutex \(mutex\) +refused: scope process < cluster required/);
  });

  it('lock run runs the command under its lock, with its token', async () => {
    const result = await runCli(
      [
        'run',
        'orders:1',
        '--config',
        config,
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.LOCK_TOKEN)',
      ],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('1');
  });

  it('its settings are validated by its own schema, every problem at once', async () => {
    const bad = writeConfig('bad.json', { address: 'http://x', replica: 2 });
    const result = await runCli(['explain', 'orders:1', '--config', bad], { cwd: dir });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/\(2 problems\)/);
    expect(result.stderr).toMatch(
      /backends\.remote\.address: expected a fake:\/\/ address, received "http:\/\/x"/,
    );
    expect(result.stderr).toMatch(
      /backends\.remote\.replica: expected a known key; did you mean `replicas`\?/,
    );
  });

  it('lock schema describes it beside the catalog kinds', async () => {
    const result = await runCli(['schema', '--config', config], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout);
    const kinds = schema.properties.backends.additionalProperties.oneOf.map(
      (entry: { properties: { kind: { const?: string } } }) => entry.properties.kind.const,
    );
    expect(kinds).toEqual(expect.arrayContaining(['fake', 'redis', 'etcd', 'zk', 'mutex']));
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidConfigError, LockBackendError, NoBackendSatisfiesError } from '@lock/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig, configJsonSchema, createSelector, type SelectorConfig } from '../src/index.js';

// A kind this package has never heard of: a fixture module that exports `kinds`, nothing else.
const fakeModule = fileURLToPath(new URL('./fixtures/fake-kind/index.mjs', import.meta.url));
const loadModule = (specifier: string) => import(specifier);
const fake = (settings: Record<string, unknown> = {}) => ({
  kind: 'fake',
  package: fakeModule,
  address: 'fake://one',
  ...settings,
});

async function configError(config: unknown, source?: string): Promise<InvalidConfigError> {
  try {
    await checkConfig(config, { loadModule, source });
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('a kind from a package the selector has never heard of', () => {
  it('is chosen, explained and locked by its own descriptor', async () => {
    const selector = await createSelector(
      { backends: { remote: fake() }, policies: { '*': { scope: 'cluster', fencing: true } } },
      { loadModule },
    );
    const explanation = selector.explain('orders:1');
    expect(explanation.chosen).toBe('remote');
    const remote = explanation.candidates.find((candidate) => candidate.backend === 'remote')!;
    expect(remote.kind).toBe('fake');
    expect(remote.capabilities.durability).toBe('single-node');
    const mutex = explanation.candidates.find((candidate) => candidate.backend === 'mutex')!;
    expect(mutex.reasons).toContain('scope process < cluster required');
    const lease = await selector.lock('orders:1').acquire();
    expect(lease.token).toBe(1n);
    const { status } = await selector.status('orders:1');
    expect(status.holders).toEqual([{ id: 'fake://one/orders:1', token: 1n }]);
    await lease.release();
    await selector.close();
  });

  it('validates its settings by its own schema, every problem at once, with JSON paths', async () => {
    const error = await configError({
      backends: { remote: fake({ address: 'http://x', replica: 1, ttlMs: 1.5 }) },
    });
    expect(error.issues.map((issue) => [issue.path, issue.expected, issue.received])).toEqual([
      ['backends.remote.address', 'a fake:// address', '"http://x"'],
      [
        'backends.remote.replica',
        'a known key; did you mean `replicas`? (known: `address`, `ttlMs`, `replicas`)',
        'the key "replica"',
      ],
      ['backends.remote.ttlMs', 'a positive integer number of milliseconds, at most 2147483647', '1.5'],
    ]);
    expect(error.message).toMatch(/^Invalid configuration \(3 problems\):\n {2}backends\.remote\.address: /);
  });

  it('finds a relative package path from the configuration file, and names the file in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-kinds-'));
    dirs.push(dir);
    const file = join(dir, 'lock.config.json');
    const modulePath = `./${relative(dir, fakeModule)}`;
    writeFileSync(
      file,
      JSON.stringify({ backends: { remote: { kind: 'fake', package: modulePath, address: 5 } } }),
    );
    const error = await createSelector(file, { loadModule }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`in ${file}`);
  });

  it('appears in the JSON Schema of lock.config.json, built from its descriptor', async () => {
    const { fakeKind } = (await import(fakeModule)) as { fakeKind: never };
    const schema = configJsonSchema([fakeKind]) as {
      properties: {
        backends: {
          additionalProperties: {
            oneOf: Array<{
              properties: Record<string, unknown>;
              additionalProperties?: unknown;
              anyOf?: unknown;
              required?: unknown;
            }>;
          };
        };
      };
    };
    const [entry, other] = schema.properties.backends.additionalProperties.oneOf;
    expect(entry!.properties.kind).toEqual({ const: 'fake' });
    expect(entry!.properties.address).toMatchObject({ type: 'string' });
    expect(entry!.properties.replicas).toMatchObject({ type: 'integer', minimum: 0, maximum: 5 });
    expect(entry!.additionalProperties).toBe(false);
    expect(entry!.anyOf).toEqual([{ required: ['address'] }, { required: ['clusters'] }]);
    expect(other!.required).toEqual(['kind', 'package']);
  });

  it('lends the selector its strongest settings for the hint when nothing configured fits', async () => {
    const error = await createSelector(
      { backends: { remote: fake() }, policies: { '*': { scope: 'cluster', durability: 'consensus' } } },
      { loadModule },
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(NoBackendSatisfiesError.isInstance(error)).toBe(true);
    expect((error as NoBackendSatisfiesError).hint).toMatch(
      /a backend of kind fake \(npm install @lock\/testkit\)/,
    );
  });

  it('sets its lease setting from the selector ttlMs option, validated by the kind', async () => {
    const checked = await checkConfig(
      { backends: { remote: fake({ ttlMs: 5_000 }) } },
      { loadModule, leaseTtlMs: 2_500 },
    );
    expect(checked.settings.get('remote')).toEqual([{ address: 'fake://one', ttlMs: 2_500 }]);
    const refused = await checkConfig({ backends: { remote: fake() } }, { loadModule, leaseTtlMs: 0.5 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((refused as { parameter?: string }).parameter).toBe('options.ttlMs');
  });
});

describe('kinds that cannot be had', () => {
  it('an unknown kind without a package names the known ones and the way out', async () => {
    const error = await configError({ backends: { orders: { kind: 'reddis', url: 'redis://h:1' } } });
    expect(error.issues[0]).toMatchObject({
      path: 'backends.orders.kind',
      received: '"reddis"',
    });
    expect(error.issues[0]!.expected).toMatch(/did you mean `redis`\?.*or a "package" that describes it/);
  });

  it('a package that is not installed fails with the install line', async () => {
    const config: SelectorConfig = { backends: { orders: { kind: 'ghost', package: 'lock-kind-ghost' } } };
    const error = await checkConfig(config, { loadModule }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /package lock-kind-ghost is not installed; install it with: npm install lock-kind-ghost/,
    );
  });

  it('a module without the kind says what it offers', async () => {
    const error = await checkConfig(
      { backends: { orders: { kind: 'other', package: fakeModule } } },
      { loadModule },
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).message).toMatch(/has no kind "other" \(it offers "fake"\)/);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backendLoader } from '../src/config/load-backend.js';

const root = mkdtempSync(join(tmpdir(), 'lock-cli-loader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package installed in `directory/node_modules`, with an ESM entry and a CommonJS one. */
function install(directory: string, name: string, esm: string): void {
  const dir = join(directory, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      type: 'module',
      exports: { '.': { import: './index.js', require: './index.cjs' }, './package.json': './package.json' },
    }),
  );
  writeFileSync(join(dir, 'index.js'), esm);
  writeFileSync(join(dir, 'index.cjs'), 'module.exports = { flavour: "cjs" };');
}

const notHere = async (specifier: string) => {
  throw Object.assign(
    new Error(`Cannot find package '${specifier}' imported from /somewhere/lock/dist/main.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
};

describe('backendLoader (where lock finds a backend it does not ship)', () => {
  it('takes the package from beside the lock command first', async () => {
    const load = backendLoader([root], async () => ({ from: 'beside lock' }));
    expect(await load('@lock/redis')).toEqual({ from: 'beside lock' });
  });

  it("else from the configuration's directory (or a parent), by its ESM entry", async () => {
    const project = join(root, 'project');
    install(project, '@acme/lock-backend', 'export const flavour = "esm"; export const kinds = [];');
    const nested = join(project, 'config', 'deep');
    mkdirSync(nested, { recursive: true });
    const module = (await backendLoader([nested], notHere)('@acme/lock-backend')) as { flavour: string };
    expect(module.flavour).toBe('esm');
  });

  it('else from the next directory; missing everywhere is ERR_MODULE_NOT_FOUND naming every place', async () => {
    const first = join(root, 'empty');
    const second = join(root, 'second');
    mkdirSync(first, { recursive: true });
    install(second, 'second-backend', 'export const where = "second";');
    expect(await backendLoader([first, second], notHere)('second-backend')).toMatchObject({
      where: 'second',
    });
    const failure = await backendLoader([first], notHere)('@lock/nowhere').catch((error: unknown) => error);
    expect((failure as NodeJS.ErrnoException).code).toBe('ERR_MODULE_NOT_FOUND');
    expect((failure as Error).message).toBe(
      `Cannot find package '@lock/nowhere' beside the lock command or in ${first}/node_modules`,
    );
  });

  it('a package that is found but fails to load reports its own error, not "missing"', async () => {
    const broken = async () => {
      throw Object.assign(
        new Error("Cannot find package 'ioredis' imported from /x/node_modules/@lock/redis/dist/index.js"),
        {
          code: 'ERR_MODULE_NOT_FOUND',
        },
      );
    };
    await expect(backendLoader([root], broken)('@lock/redis')).rejects.toThrow(
      /Cannot find package 'ioredis'/,
    );
    const throwing = join(root, 'throwing');
    install(throwing, 'throwing-backend', 'throw new Error("bad backend");');
    await expect(backendLoader([throwing], notHere)('throwing-backend')).rejects.toThrow('bad backend');
  });
});

import {
  type BackendKind,
  type Capabilities,
  InvalidArgumentError,
  type Lock,
  type LockOptions,
  NoBackendSatisfiesError,
  type ReadWriteLock,
} from '@lock/core';
import { FakeProvider, type FakeProviderConfig, fakeKind } from '@lock/testkit/fake-kind';
import { afterEach, describe, expect, it } from 'vitest';
import { Selector, type SelectorConfig } from '../src/index.js';

/** What the selector asked of a provider, in order. */
let calls: unknown[][] = [];

/** A fake provider that declares read-write locks and semaphores and records which primitive it was asked for. */
class PrimitivesProvider extends FakeProvider {
  override readonly capabilities: Capabilities;

  constructor(config: FakeProviderConfig) {
    super(config);
    this.capabilities = poolKind.capabilities(config);
  }

  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    calls.push(['readWriteLock', name, options]);
    return { name, read: this.lock(`${name}/read`), write: this.lock(`${name}/write`) };
  }

  protected override createSemaphore(name: string, permits: number, options: LockOptions | undefined): Lock {
    calls.push(['semaphore', name, permits, options]);
    return this.lock(`${name}/permits`);
  }
}

const poolKind: BackendKind<FakeProviderConfig> = {
  ...fakeKind,
  kind: 'pool',
  capabilities: (settings) => ({
    ...fakeKind.capabilities(settings),
    backend: 'pool',
    readWrite: true,
    semaphore: true,
  }),
  createProvider: (settings) => new PrimitivesProvider(settings),
};

const config = (policies: SelectorConfig['policies']): SelectorConfig => ({
  backends: {
    plain: { kind: 'fake', package: 'fake-kinds', address: 'fake://plain' },
    pool: { kind: 'pool', package: 'fake-kinds', address: 'fake://pool' },
  },
  policies,
  builtins: false,
});
const open = (policies: SelectorConfig['policies']) =>
  Selector.create(config(policies), { loadModule: async () => ({ kinds: [fakeKind, poolKind] }) });

afterEach(() => {
  calls = [];
});

describe('read-write and semaphore needs', () => {
  it('a policy with mode shared or permits refuses backends without them, and says why', async () => {
    const selector = await open({ 'rw:*': { mode: 'shared' }, 'pool:*': { permits: 3 }, '*': {} });
    const rw = selector.explain('rw:1');
    expect(rw.chosen).toBe('pool');
    expect(rw.needs).toMatchObject({ mode: 'shared', permits: undefined });
    expect(rw.candidates.find((candidate) => candidate.backend === 'plain')?.reasons).toContain(
      'no read-write locks, mode shared required',
    );
    const pool = selector.explain('pool:1');
    expect(pool.chosen).toBe('pool');
    expect(pool.candidates.find((candidate) => candidate.backend === 'plain')?.reasons).toContain(
      'no semaphores, semaphore of 3 permits required',
    );
    // Without those needs the lighter (first) one is chosen: the needs, not the names, move the choice.
    expect(selector.explain('other').chosen).toBe('plain');
    await selector.close();
  });

  it('readWriteLock() and semaphore() add their needs and ask the provider for that primitive', async () => {
    const selector = await open({ '*': {} });
    const rw = selector.readWriteLock('doc', { ttlMs: 5000 });
    expect(rw.name).toBe('doc');
    await (await rw.read.acquire()).release();
    await (await rw.write.acquire()).release();
    const semaphore = selector.semaphore('jobs', 4);
    await (await semaphore.acquire()).release();
    expect(calls).toEqual([
      ['readWriteLock', 'doc', { ttlMs: 5000 }],
      ['semaphore', 'jobs', 4, undefined],
    ]);
    await selector.close();
  });

  it("a policy's mode never makes lock() shared; a call's mode or permits choose the primitive", async () => {
    const selector = await open({ 'rw:*': { mode: 'shared' }, '*': {} });
    await (await selector.open('rw:1')).acquire().then((lease) => lease.release());
    expect(calls).toEqual([]);
    await (await selector.open('rw:1', undefined, { mode: 'shared' }))
      .acquire()
      .then((lease) => lease.release());
    await (await selector.open('x', undefined, { permits: 2 })).acquire().then((lease) => lease.release());
    expect(calls).toEqual([
      ['readWriteLock', 'rw:1', undefined],
      ['semaphore', 'x', 2, undefined],
    ]);
    await selector.close();
  });

  it("a semaphore's permits come from the call or the policy, and the two must agree", async () => {
    const selector = await open({ 'pool:*': { permits: 3 }, '*': {} });
    await (await selector.semaphore('pool:a').acquire()).release();
    expect(calls).toEqual([['semaphore', 'pool:a', 3, undefined]]);
    expect(() => selector.semaphore('pool:a', 5)).toThrow(InvalidArgumentError);
    expect(() => selector.semaphore('pool:a', 5)).toThrow(/the policy's 3 permits, or omitted/);
    expect(() => selector.semaphore('free')).toThrow(
      /a whole number of permits \(the policy for "free" gives none\)/,
    );
    expect(() => selector.semaphore('free', 0)).toThrow(/permits/);
    await selector.close();
  });

  it('with no backend that has them, the error names the unmet need', async () => {
    const selector = await Selector.create(
      {
        backends: { plain: { kind: 'fake', package: 'fake-kinds', address: 'fake://only' } },
        policies: { '*': {} },
        builtins: false,
      },
      { loadModule: async () => ({ kinds: [fakeKind] }) },
    );
    const failure = (() => {
      try {
        selector.readWriteLock('doc');
      } catch (error) {
        return error;
      }
    })();
    expect(NoBackendSatisfiesError.isInstance(failure), String(failure)).toBe(true);
    expect((failure as NoBackendSatisfiesError).unmet).toContain('read-write lock');
    await selector.close();
  });

  it('the configuration checks mode and permits with their JSON paths', async () => {
    const failure = await open({ '*': { mode: 'read', permits: 0 } as never }).catch(
      (error: unknown) => error,
    );
    expect(String((failure as Error).message)).toMatch(/policies\["\*"\]\.mode|policies\.\*\.mode/);
    expect(String((failure as Error).message)).toMatch(/a whole number of permits from 1 to 1000000/);
  });
});

describe('resolveReadWrite', () => {
  it('routes with mode shared and hands out both sides of one read-write lock', async () => {
    const selector = await open({ '*': {} });
    const { readWriteLock, explanation } = await selector.resolveReadWrite('doc');
    expect(explanation.chosen).toBe('pool');
    expect(explanation.needs.mode).toBe('shared');
    await (await readWriteLock.write.acquire()).release();
    expect(calls).toEqual([['readWriteLock', 'doc', undefined]]);
    await selector.close();
  });
});

describe('SelectorOptions.backend', () => {
  it('pins every name to one entry over the policies, and refuses an entry that is not configured', async () => {
    const loadModule = async () => ({ kinds: [fakeKind, poolKind] });
    const pinned = await Selector.create(config({ '*': {} }), { loadModule, backend: 'pool' });
    expect(pinned.explain('anything').chosen).toBe('pool');
    await pinned.close();
    const unpinned = await Selector.create(config({ '*': {} }), { loadModule });
    expect(unpinned.explain('anything').chosen).toBe('plain');
    await unpinned.close();
    await expect(Selector.create(config({ '*': {} }), { loadModule, backend: 'nope' })).rejects.toThrow(
      /options\.backend.*a configured backend entry \("plain", "pool"\)/,
    );
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPromise, linkSignals, sleep, withinGrace } from '../src/index.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('timing helpers', () => {
  it('withinGrace settles with the operation, or with the fallback after the grace, leaving no timer', async () => {
    await expect(withinGrace(Promise.resolve('done'), 100, 'late')).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
    const hanging = withinGrace(new Promise<string>(() => {}), 100, 'late');
    await vi.advanceTimersByTimeAsync(100);
    await expect(hanging).resolves.toBe('late');
    expect(vi.getTimerCount()).toBe(0);
    await expect(withinGrace(undefined, 100, 'none')).resolves.toBe('none');
  });

  it('sleep resolves after its time or at once on abort, clearing its timer', async () => {
    const controller = new AbortController();
    const sleeping = sleep(10_000, controller.signal);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await sleeping;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('linkSignals aborts with whichever source aborted first and unlinks its listeners', () => {
    const caller = new AbortController();
    const closing = new AbortController();
    const added = vi.spyOn(closing.signal, 'addEventListener');
    const removed = vi.spyOn(closing.signal, 'removeEventListener');
    const linked = linkSignals(caller.signal, closing.signal, () => 'closed');
    closing.abort('ignored');
    expect(linked.signal.reason).toBe('closed');
    expect(added).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledTimes(1);
    const second = linkSignals(caller.signal, new AbortController().signal);
    caller.abort('caller');
    expect(second.signal.reason).toBe('caller');
  });

  it('isPromise tells thenables from values', () => {
    expect(isPromise(Promise.resolve(1))).toBe(true);
    const thenable = Object.fromEntries([['then', () => {}]]);
    expect(isPromise(thenable as never)).toBe(true);
    expect(isPromise(1)).toBe(false);
    expect(isPromise(null as never)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { raceSignal } from '../src/index.js';

describe('raceSignal', () => {
  it('settles like the operation, rejects with the reason on abort, and leaves no listener', async () => {
    expect(await raceSignal(Promise.resolve(1), undefined)).toBe(1);
    const controller = new AbortController();
    expect(await raceSignal(Promise.resolve(2), controller.signal)).toBe(2);
    const reason = new Error('gave up');
    const pending = raceSignal(new Promise(() => {}), controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(raceSignal(Promise.resolve(3), AbortSignal.abort(reason))).rejects.toBe(reason);
    const failure = new Error('backend');
    await expect(raceSignal(Promise.reject(failure), new AbortController().signal)).rejects.toBe(failure);
  });
});

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Selector } from '../src/index.js';

const script = new URL('./workers/threads-counter.mjs', import.meta.url);
const config = { policies: { 'counter:*': { scope: 'threads' as const } } };

type Report = 'done' | { error: { name: string; message: string } };

function counters(workers: number, counter: SharedArrayBuffer, rounds: number): Promise<Report[]> {
  return Promise.all(
    Array.from({ length: workers }, () => {
      const worker = new Worker(script, { workerData: { config, counter, rounds } });
      return new Promise<Report>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }).finally(() => worker.terminate());
    }),
  );
}

describe('scope "threads" through the selector', () => {
  it('a worker whose process has no shared table yet refuses with a typed error that says how to share', {
    timeout: 60_000,
  }, async () => {
    // Must run before any selector of this process is created in the main thread (this file's next test).
    const counter = new SharedArrayBuffer(4);
    const reports = await counters(1, counter, 1);
    expect(reports[0]).toMatchObject({ error: { name: 'UnsupportedCapabilityError' } });
    expect((reports[0] as { error: { message: string } }).error.message).toContain(
      'in the main thread before starting workers',
    );
    expect(new Int32Array(counter)[0]).toBe(0);
  });

  it('4 workers, each with its own selector, exclude each other once the main thread made one: 2000 of 2000', {
    timeout: 120_000,
  }, async () => {
    const selector = await Selector.create(config);
    const counter = new SharedArrayBuffer(4);
    expect(await counters(4, counter, 500)).toEqual(['done', 'done', 'done', 'done']);
    expect(new Int32Array(counter)[0]).toBe(2_000);
    await selector.close();
  });
});

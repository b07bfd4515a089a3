import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createProvider, SharedMutexProvider } from '../src/index.js';

const script = new URL('./workers/process-table-worker.mjs', import.meta.url);

type Report = 'done' | { error: { name: string; code?: string; message: string } };

function run(data: Record<string, unknown>): Promise<Report> {
  const worker = new Worker(script, { workerData: data });
  return new Promise<Report>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).finally(() => worker.terminate());
}

describe("createProvider({ backend: 'shared-mutex' }): one table for every thread of the process", () => {
  it('a worker started before the main thread made the table refuses, saying how to share', async () => {
    // Each capacity is a table of its own: 7 is used by no other test of this file.
    const counter = new SharedArrayBuffer(4);
    const report = await run({ mode: 'count', capacity: 7, counter, rounds: 1 });
    expect(report).toMatchObject({
      error: { name: 'UnsupportedCapabilityError', code: 'UNSUPPORTED_CAPABILITY' },
    });
    const message = (report as { error: { message: string } }).error.message;
    expect(message).toContain('in the main thread before starting workers');
    expect(message).toContain('provider.handle');
    expect(new Int32Array(counter)[0]).toBe(0);
    // Made now, in the main thread: a worker started afterwards finds it.
    const provider = createProvider({ backend: 'shared-mutex', capacity: 7 });
    expect(await run({ mode: 'count', capacity: 7, counter, rounds: 1 })).toBe('done');
    expect(new Int32Array(counter)[0]).toBe(1);
    await provider.close();
  });

  it('4 workers, each with its own createProvider, and the main thread exclude each other: exact count', {
    timeout: 120_000,
  }, async () => {
    const main = createProvider({ backend: 'shared-mutex', capacity: 64 });
    const counter = new SharedArrayBuffer(4);
    const workers = Array.from({ length: 4 }, () =>
      run({ mode: 'count', capacity: 64, counter, rounds: 500 }),
    );
    const cell = new Int32Array(counter);
    for (let round = 0; round < 200; round++) {
      await main.lock('counter:x').withLock(async () => {
        const read = cell[0]!;
        await new Promise((resolve) => setImmediate(resolve));
        cell[0] = read + 1;
      });
    }
    expect(await Promise.all(workers)).toEqual(['done', 'done', 'done', 'done']);
    expect(cell[0]).toBe(2_200);
    // The same shape from createProvider again is the same table; another shape, or a provider built
    // with new, is a table of its own (post its handle to share it).
    const again = createProvider({ backend: 'shared-mutex', capacity: 64 });
    expect(again.handle.buffer).toBe(main.handle.buffer);
    expect(createProvider({ backend: 'shared-mutex', capacity: 65 }).handle.buffer).not.toBe(
      main.handle.buffer,
    );
    expect(new SharedMutexProvider({ capacity: 64 }).handle.buffer).not.toBe(main.handle.buffer);
    await Promise.all([main.close(), again.close()]);
  });

  it("nested workers find the process's table through their parent; a worker's own table is not it", {
    timeout: 120_000,
  }, async () => {
    const main = createProvider({ backend: 'shared-mutex', capacity: 32 });
    const counter = new SharedArrayBuffer(4);
    const held = await main.lock('counter:x').acquire();
    const nested = run({ mode: 'nested', child: 'count', capacity: 32, counter, rounds: 50 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(new Int32Array(counter)[0]).toBe(0); // the nested worker waits for the main thread's lease
    await held.release();
    expect(await nested).toBe('done');
    expect(new Int32Array(counter)[0]).toBe(50);
    await main.close();
    // A worker that finds no table (none of capacity 9 was made) cannot pass one on: its nested one refuses too.
    const orphan = run({ mode: 'nested', child: 'count', capacity: 9, counter, rounds: 1 });
    expect(await orphan).toMatchObject({ error: { name: 'UnsupportedCapabilityError' } });
  });
});

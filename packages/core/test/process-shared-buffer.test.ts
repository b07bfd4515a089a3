import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { processSharedBuffer } from '../src/index.js';

const KEY = '@lock/core-test:buffer:v1';

describe('processSharedBuffer', () => {
  it('is one buffer for the main thread and the workers it starts afterwards; a worker never makes its own', async () => {
    const buffer = processSharedBuffer(
      KEY,
      () => new SharedArrayBuffer(4),
      () => new Error('refused'),
    );
    expect(
      processSharedBuffer(
        KEY,
        () => new SharedArrayBuffer(4),
        () => new Error('refused'),
      ),
    ).toBe(buffer);
    const view = new Int32Array(buffer);
    const worker = new Worker(
      `const { getEnvironmentData, parentPort } = require('node:worker_threads');
       const shared = getEnvironmentData(${JSON.stringify(KEY)});
       Atomics.add(new Int32Array(shared), 0, 41);
       const missing = getEnvironmentData('never-published');
       parentPort.postMessage(missing === undefined);`,
      { eval: true },
    );
    const [unpublishedIsUndefined] = await new Promise<unknown[]>((resolve, reject) => {
      worker.once('message', (message) => resolve([message]));
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(Atomics.load(view, 0)).toBe(41);
    expect(unpublishedIsUndefined).toBe(true);
  });
});

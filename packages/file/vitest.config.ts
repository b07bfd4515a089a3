import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One file at a time: the worker-thread files saturate this machine's cores on their own (the kill
    // tests keep a stopped worker spinning until it is terminated), and the event-loop delay check must
    // not measure another file's load.
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

// Each example runs as a child process and some start servers: generous timeouts, one file at a time
// (the machines have 2 cores and other packages' tests may run too).
export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});

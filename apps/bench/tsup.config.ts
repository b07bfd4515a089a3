import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/trend-cli.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Peers (CommonJS ioredis, redlock, redis-semaphore) and workspace packages stay imports, not bundled.
  skipNodeModulesBundle: true,
});

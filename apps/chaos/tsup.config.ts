import { defineConfig } from 'tsup';

export default defineConfig({
  // The client modules are loaded by @lock/testkit's client processes, so they are entries of their own.
  entry: ['src/main.ts', 'src/clients/redis.ts', 'src/clients/etcd.ts', 'src/clients/zk.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Workspace packages and clients stay imports: bundling them would break @lock/testkit's child scripts.
  skipNodeModulesBundle: true,
});

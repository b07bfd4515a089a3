import { defineConfig } from 'tsup';

export default defineConfig({
  // Worker scripts are entries of their own, emitted next to main.js; code finds them relative to
  // import.meta.url of the built chunk (dist/), so they work from any working directory.
  entry: {
    main: 'src/main.ts',
    'demo-worker': 'src/demo/worker.ts',
    'stress-worker': 'src/stress/stress-worker.ts',
  },
  format: ['esm'],
  sourcemap: true,
  // Maps hold positions only, not a second copy of every source file (that copy doubled the
  // download); dist is not minified, so a trace without --enable-source-maps still reads.
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  target: 'node20',
});

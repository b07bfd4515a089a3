import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/internal.ts'],
  // One copy of each module behind both entries, in ESM and CJS alike.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  // Maps hold positions only, not a second copy of every source file (that copy doubled the
  // download); dist is not minified, so a trace without --enable-source-maps still reads.
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  target: 'node20',
});

import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: ESM and CJS, each with its own types.
    entry: {
      index: 'src/index.ts',
      conformance: 'src/conformance.ts',
      proxy: 'src/proxy/index.ts',
      safety: 'src/safety/index.ts',
      servers: 'src/servers/index.ts',
      'fake-kind': 'src/fake-kind/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Maps hold positions only, not a second copy of every source file (that copy doubled the
    // download); dist is not minified, so a trace without --enable-source-maps still reads.
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
    // Both builds run at once: clean everything except what the child-script build writes.
    clean: ['!reaper.*', '!client-child.*', '!guarded-resource-child.*'],
    // Keep vitest an import of the conformance entry, never bundled.
    external: ['vitest'],
    target: 'node20',
    // import.meta.url locates the child scripts; shims make it work in the CJS build too.
    shims: true,
  },
  {
    // Scripts run as child processes (`node dist/<name>.js`), never imported: ESM only, no types. Each is
    // bundled whole so a child does not depend on chunk names of the library build.
    entry: {
      reaper: 'src/servers/reaper.ts',
      'client-child': 'src/safety/client-child.ts',
      'guarded-resource-child': 'src/safety/guarded-resource-child.ts',
    },
    format: ['esm'],
    sourcemap: true,
    // Maps hold positions only, not a second copy of every source file (that copy doubled the
    // download); dist is not minified, so a trace without --enable-source-maps still reads.
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
    target: 'node20',
    splitting: false,
  },
]);

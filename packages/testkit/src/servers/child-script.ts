import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of one of the testkit's compiled child-process scripts (`reaper.js`, `client-child.js`,
 * `guarded-resource-child.js`).
 *
 * The scripts are separate tsup entries. From `dist/*.js` (or a `dist` chunk) they sit beside this module;
 * when this module runs from `src/**` (vitest on the sources) Node cannot execute TypeScript children, so
 * the compiled copy in the package's `dist` is used and the package must be built first.
 */
export function childScriptPath(fileName: string): string {
  const candidates = [
    new URL(`./${fileName}`, import.meta.url),
    new URL(`../../dist/${fileName}`, import.meta.url),
  ];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `@lock/testkit child script ${fileName} not found (looked in ${candidates.map((url) => fileURLToPath(url)).join(', ')}). ` +
      'Build the package first: pnpm --filter @lock/testkit build',
  );
}

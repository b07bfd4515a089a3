// Writes lock.config.schema.json, published with @lock/selector: the JSON Schema of lock.config.json for every
// kind of the selector's catalog, each assembled from the descriptor its own package exports. Run after the
// build (the backend packages are this package's devDependencies, so all of them are installed here).
import { writeFileSync } from 'node:fs';
import { configJsonSchema, KIND_CATALOG } from '../dist/index.js';

const kinds = [];
for (const [kind, { packageName }] of Object.entries(KIND_CATALOG)) {
  const module = await import(packageName);
  const descriptor = (module.kinds ?? []).find((candidate) => candidate.kind === kind);
  if (descriptor === undefined) throw new Error(`${packageName} exports no kind "${kind}" in \`kinds\``);
  kinds.push(descriptor);
}
const schema = configJsonSchema(kinds);
writeFileSync(new URL('../lock.config.schema.json', import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
console.log(`lock.config.schema.json: ${kinds.length} kinds (${kinds.map((kind) => kind.kind).join(', ')})`);

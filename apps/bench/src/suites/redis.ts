import type { SuiteReport } from '../harness.js';

export async function run(): Promise<SuiteReport[]> {
  throw new Error('the redis benchmark suite is not built yet');
}

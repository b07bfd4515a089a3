import { describeConformance } from '@lock/testkit/conformance';
import { SharedMutexProvider } from '../src/index.js';

describeConformance({
  name: 'shared-mutex (one thread)',
  createProvider: () => new SharedMutexProvider(),
  enqueueDelayMs: 5,
});

import { describeConformance } from '@lock/testkit/conformance';
import { MutexProvider } from '../src/index.js';

describeConformance({
  name: 'mutex (in-process)',
  createProvider: () => new MutexProvider(),
  leftovers: async (name, provider) => (provider as MutexProvider).pending(name),
  queueDepth: async (name, provider) => (provider as MutexProvider).waiting(name),
  enqueueDelayMs: 5,
});

import { describeConformance } from '@lock/testkit/conformance';
import { TryLockProvider } from '../src/index.js';

describeConformance({
  name: 'trylock',
  createProvider: () => new TryLockProvider(),
  leftovers: async (name, provider) => (provider as TryLockProvider).pending(name),
});

// '@lock/testkit/fake-kind': a backend kind that no catalog knows, as a third party would publish it (a module
// that exports `kinds`), for tests of what reads kinds: the selector, the configuration schema, the CLI.
export { FakeProvider, type FakeProviderConfig, fakeKind, kinds } from './fake-kind.js';

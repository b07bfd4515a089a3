import {
  type AcquireRequest,
  type BackendKind,
  BaseLock,
  BaseProvider,
  type Capabilities,
  type Grant,
  type LockOptions,
  type LockStatus,
  millisecondsSetting,
  settingsObject,
} from '@lock/core';
import * as v from 'valibot';

const REPLICAS = 'a replica count from 0 to 5';

const fakeSettings = settingsObject(
  {
    address: v.pipe(v.string('a fake:// address'), v.startsWith('fake://', 'a fake:// address')),
    ttlMs: v.optional(millisecondsSetting(), 30_000),
    replicas: v.optional(
      v.pipe(v.number(REPLICAS), v.integer(REPLICAS), v.minValue(0, REPLICAS), v.maxValue(5, REPLICAS)),
    ),
  },
  'an object of fake settings',
);

/** Settings of the `fake` kind: an address, a lease length, a replica count (which raises its durability). */
export type FakeProviderConfig = v.InferOutput<typeof fakeSettings>;

function fakeCapabilities(config: FakeProviderConfig): Capabilities {
  return {
    backend: 'fake',
    // A test double: it claims a cluster scope it does not have, so that selection rules have a server kind
    // to judge with no server running. Its locks are shared by every provider of one address in this process.
    scope: 'cluster',
    durability: (config.replicas ?? 0) > 0 ? 'consensus' : 'single-node',
    waiting: 'queue',
    fifo: true,
    fencing: true,
    leases: false,
  };
}

interface FakeState {
  held: boolean;
  fence: bigint;
  readonly queue: Array<() => void>;
}

/** The "servers": lock state by address, then by name. */
const servers = new Map<string, Map<string, FakeState>>();

class FakeLock extends BaseLock {
  readonly capabilities: Capabilities;
  private readonly state: FakeState;

  constructor(name: string, options: LockOptions | undefined, provider: FakeProvider) {
    super(name, { ...options, owner: provider });
    this.capabilities = provider.capabilities;
    this.state = provider.stateOf(name);
  }

  protected acquireGrant(request: AcquireRequest): Grant | null | Promise<Grant> {
    if (!this.state.held) return this.grant();
    if (!request.wait) return null;
    return new Promise((resolve, reject) => {
      const wake = () => resolve(this.grant());
      this.state.queue.push(wake);
      request.signal?.addEventListener(
        'abort',
        () => {
          this.state.queue.splice(this.state.queue.indexOf(wake), 1);
          reject(request.signal?.reason);
        },
        { once: true },
      );
    });
  }

  protected releaseGrant(grant: Grant): boolean {
    if (!this.state.held || grant.token !== this.state.fence) return false;
    this.state.held = false;
    this.state.queue.shift()?.();
    return true;
  }

  private grant(): Grant {
    this.state.held = true;
    this.state.fence += 1n;
    return { token: this.state.fence };
  }
}

/** The provider of the `fake` kind: in-memory FIFO locks with fencing tokens, per address. */
export class FakeProvider extends BaseProvider<FakeLock> {
  readonly capabilities: Capabilities;
  readonly config: FakeProviderConfig;

  constructor(config: FakeProviderConfig) {
    super();
    this.config = config;
    this.capabilities = fakeCapabilities(config);
  }

  /** @internal */
  stateOf(name: string): FakeState {
    let locks = servers.get(this.config.address);
    if (locks === undefined) servers.set(this.config.address, (locks = new Map()));
    let state = locks.get(name);
    if (state === undefined) locks.set(name, (state = { held: false, fence: 0n, queue: [] }));
    return state;
  }

  async status(name: string): Promise<LockStatus> {
    const state = this.stateOf(name);
    return {
      name,
      holders: state.held ? [{ id: `${this.config.address}/${name}`, token: state.fence }] : [],
      waiters: [],
      waiterCount: state.queue.length,
      lastToken: state.fence === 0n ? null : state.fence,
      details: { address: this.config.address },
    };
  }

  protected createLock(name: string, options: LockOptions | undefined): FakeLock {
    return new FakeLock(name, options, this);
  }

  protected async closeBackend(): Promise<void> {}
}

/** The `fake` kind's descriptor. */
export const fakeKind: BackendKind<FakeProviderConfig> = {
  kind: 'fake',
  summary: 'an in-memory test double with a cluster scope',
  packageName: '@lock/testkit/fake-kind',
  install: 'npm install @lock/testkit',
  settings: fakeSettings,
  capabilities: fakeCapabilities,
  createProvider: (config) => new FakeProvider(config),
  address: (config) => config.address,
  defaultProfile: { acquireReleaseP50Ms: 0.5, opsPerSec: 2_000, source: 'declared' },
  strongest: { address: 'fake://strongest', ttlMs: 30_000, replicas: 3 },
  leaseSetting: 'ttlMs',
};

/** The kinds of this module. */
export const kinds = [fakeKind];

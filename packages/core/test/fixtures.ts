import {
  type AcquireRequest,
  BaseLock,
  BaseProvider,
  type Capabilities,
  type Grant,
  type LockOptions,
  type LoseGrant,
  monotonicNow,
} from '../src/index.js';

export interface TestGrant extends Grant {
  id: number;
}

/**
 * A scriptable lock for the lifecycle tests: one holder at a time, a FIFO of waiters, and switches to make
 * renewals fail, hang or report the grant gone.
 */
export class ScriptedLock extends BaseLock<TestGrant> {
  readonly capabilities: Capabilities;
  holder: number | undefined;
  readonly waiters: { request: AcquireRequest; resolve(grant: TestGrant): void }[] = [];
  renewals = 0;
  renewMode: 'ok' | 'gone' | 'hang' | 'error' | 'hang-once' = 'ok';
  releaseMode: 'ok' | 'error' = 'ok';
  releases: number[] = [];
  loseWatchers = new Set<LoseGrant>();
  private nextId = 0;
  /** Drift to put on grants (undefined: core's default). */
  driftMs: number | undefined;
  /** How late (ms) the replies of the next grants arrive: their startedAt is that far in the past. */
  readonly lateReplies: number[] = [];
  private readonly expiring: boolean;

  constructor(
    name: string,
    options: LockOptions & { expiring?: boolean; owner?: BaseProvider; neverWaits?: boolean } = {},
  ) {
    super(name, options);
    this.expiring = options.expiring ?? true;
    this.capabilities = {
      backend: 'scripted',
      scope: 'process',
      durability: 'memory',
      waiting: options.neverWaits ? 'none' : 'queue',
      fifo: true,
      fencing: true,
      leases: this.expiring,
    };
  }

  protected acquireGrant(request: AcquireRequest): TestGrant | null | Promise<TestGrant | null> {
    if (this.holder === undefined) return this.grant(request);
    if (!request.wait || this.capabilities.waiting === 'none') return null;
    return new Promise((resolve, reject) => {
      const waiter = { request, resolve };
      this.waiters.push(waiter);
      request.signal?.addEventListener('abort', () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error('aborted'));
      });
    });
  }

  protected releaseGrant(grant: TestGrant): boolean | Promise<boolean> {
    this.releases.push(grant.id);
    if (this.releaseMode === 'error') return Promise.reject(new Error('connection reset'));
    if (this.holder !== grant.id) return false;
    this.holder = undefined;
    const next = this.waiters.shift();
    if (next) next.resolve(this.grant(next.request));
    return true;
  }

  protected override async extendGrant(grant: TestGrant, _ttlMs: number): Promise<boolean> {
    this.renewals += 1;
    if (this.renewMode === 'hang') return new Promise<boolean>(() => {});
    if (this.renewMode === 'hang-once') {
      this.renewMode = 'ok';
      return new Promise<boolean>(() => {});
    }
    if (this.renewMode === 'error') throw new Error('socket timeout');
    if (this.renewMode === 'gone') return false;
    return this.holder === grant.id;
  }

  protected override watchGrant(_grant: TestGrant, lose: LoseGrant): () => void {
    this.loseWatchers.add(lose);
    return () => this.loseWatchers.delete(lose);
  }

  private grant(request: AcquireRequest): TestGrant {
    this.nextId += 1;
    this.holder = this.nextId;
    return this.expiring
      ? {
          id: this.nextId,
          token: BigInt(this.nextId),
          ttlMs: request.ttlMs,
          startedAt: monotonicNow() - (this.lateReplies.shift() ?? 0),
          driftMs: this.driftMs,
        }
      : { id: this.nextId, token: BigInt(this.nextId) };
  }
}

export class ScriptedProvider extends BaseProvider<ScriptedLock> {
  readonly capabilities: Capabilities = {
    backend: 'scripted',
    scope: 'process',
    durability: 'memory',
    waiting: 'queue',
    fifo: true,
    fencing: true,
    leases: true,
  };
  closedBackend = 0;

  protected createLock(name: string, options: LockOptions | undefined): ScriptedLock {
    return new ScriptedLock(name, { ...options, owner: this });
  }

  protected async closeBackend(): Promise<void> {
    this.closedBackend += 1;
  }
}

/**
 * A lock whose backend is a server the test answers by hand: every first request waits in `pending` until the
 * test calls `grant()`, `queue()` or `fail()`, as a slow, held or unreachable server would.
 */
export class RemoteScriptedLock extends BaseLock<TestGrant> {
  readonly capabilities: Capabilities;
  readonly pending: {
    request: AcquireRequest;
    grant(): void;
    queue(): void;
    fail(error: unknown): void;
  }[] = [];
  /** Session deadline reported for session-carried grants (undefined: the hook is absent). */
  sessionDeadline: number | undefined;
  private nextId = 0;

  constructor(name: string, options: LockOptions & { owner?: BaseProvider; ttl?: Capabilities['ttl'] } = {}) {
    super(name, { ...options, remote: true });
    this.capabilities = {
      backend: 'remote-scripted',
      scope: 'cluster',
      durability: 'single-node',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
      ttl: options.ttl,
    };
  }

  protected acquireGrant(request: AcquireRequest): Promise<TestGrant | null> {
    return new Promise((resolve, reject) => {
      const entry = {
        request,
        grant: () => {
          this.nextId += 1;
          resolve({
            id: this.nextId,
            token: BigInt(this.nextId),
            ttlMs: request.ttlMs,
            startedAt: monotonicNow(),
          });
        },
        queue: () => {
          if (!request.wait) resolve(null);
          else request.queued();
        },
        fail: reject,
      };
      this.pending.push(entry);
      request.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }

  protected releaseGrant(): boolean {
    return true;
  }

  protected override async extendGrant(): Promise<boolean> {
    return true;
  }

  protected override grantSafeDeadline(): number {
    return this.sessionDeadline ?? Number.POSITIVE_INFINITY;
  }
}

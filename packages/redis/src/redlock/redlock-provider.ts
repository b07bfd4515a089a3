import {
  BaseProvider,
  type Capabilities,
  LockBackendError,
  type LockOptions,
  type LockStatus,
  parseSettings,
  validateLockName,
} from '@lock/core';
import { Redis } from 'ioredis';
import { quietErrors } from '../shared/client-checks.js';
import { closeClient } from '../shared/close-client.js';
import {
  connectionSecurity,
  type RedisSecuritySettings,
  urlForSecurity,
} from '../shared/connection-security.js';
import { ConnectionWatch } from '../shared/connection-watch.js';
import { parseEndpoint, validateInstanceIds } from '../shared/endpoint.js';
import { DEFAULT_TTL_MS } from '../shared/lease-ttl.js';
import { lockKeys } from '../shared/lock-keys.js';
import { DEFAULT_PREFIX } from '../shared/prefix.js';
import type { RedisLockClient } from '../shared/redis-client.js';
import { runScript } from '../shared/run-script.js';
import { STATUS } from '../shared/scripts.js';
import { everyInstance } from './every-instance.js';
import { redlockCapabilities } from './redlock-capabilities.js';
import { type RedlockBackend, RedlockLock } from './redlock-lock.js';
import { DEFAULT_DRIFT_FACTOR, defaultInstanceTimeoutMs, redlockOptionsSchema } from './redlock-settings.js';

/**
 * Redlock over N independent Redis instances (odd N, quorum N/2 + 1). Use it when no single Redis may be
 * trusted to keep a lock; it does not fence and cannot queue waiters. See the README for its limits.
 */
export class RedlockProvider extends BaseProvider<RedlockLock> {
  readonly capabilities: Capabilities;
  readonly clients: readonly RedisLockClient[];
  readonly prefix: string;
  readonly ttlMs: number;
  private readonly ownsClients: boolean;
  private readonly backend: RedlockBackend;
  private readonly renewEveryMs: number | undefined;

  /** Every option is checked before any connection is made; errors name it (`options.endpoints[1]`). */
  constructor(options: RedlockProviderOptions) {
    super();
    // Typed as the options interface (which documents each option): the schema's output must match it.
    const settings: RedlockProviderOptions = parseSettings(redlockOptionsSchema, options, 'options');
    const ttlMs = settings.ttlMs ?? DEFAULT_TTL_MS;
    let endpoints: string[];
    let clients: RedisLockClient[];
    if (settings.endpoints !== undefined) {
      // Checked by the schema: an odd number of well-formed endpoints, none twice.
      const parsed = settings.endpoints.map((text, index) =>
        parseEndpoint(text, `options.endpoints[${index}]`),
      );
      endpoints = parsed.map((endpoint) => endpoint.id);
      const security = connectionSecurity(settings, 'options');
      clients = parsed.map(
        (endpoint) =>
          new Redis(urlForSecurity(endpoint.url, security), security) as unknown as RedisLockClient,
      );
      for (const client of clients) quietErrors(client);
    } else {
      const given = settings.clients!;
      endpoints = given.map((client, index) =>
        client.options?.host !== undefined && client.options.port !== undefined
          ? `${client.options.host === 'localhost' ? '127.0.0.1' : client.options.host}:${client.options.port}`
          : `#${index}`,
      );
      validateInstanceIds(endpoints, 'options.clients');
      clients = [...given];
    }

    this.prefix = settings.prefix ?? DEFAULT_PREFIX;
    this.ttlMs = ttlMs;
    this.renewEveryMs = settings.renewEveryMs;
    this.clients = clients;
    this.ownsClients = settings.endpoints !== undefined;
    this.capabilities = redlockCapabilities();
    this.backend = {
      clients,
      connections: clients.map((client) => new ConnectionWatch(client, this.ownsClients)),
      endpoints,
      prefix: this.prefix,
      capabilities: this.capabilities,
      driftFactor: settings.driftFactor ?? DEFAULT_DRIFT_FACTOR,
      instanceTimeoutMs: settings.instanceTimeoutMs ?? defaultInstanceTimeoutMs(ttlMs),
    };
  }

  /**
   * Who holds `name`, read from every instance: the holder is the owner id that a majority of instances hold
   * (Redlock has no fencing token and no waiters, so `lastToken` is null and `waiters` empty); `details.instances`
   * gives each instance's own view. Rejects with `LockBackendError` when fewer than a majority answer within
   * `instanceTimeoutMs`.
   */
  async status(name: string): Promise<LockStatus> {
    validateLockName(name);
    this.assertOpen('status', name);
    const keys = lockKeys(this.prefix, name);
    const replies = await everyInstance(this.backend, (client) => runScript(client, STATUS, keys.all, [0]));
    const quorum = Math.floor(this.clients.length / 2) + 1;
    const seen = new Map<string, number>();
    const instances = replies.map((reply, index) => {
      const endpoint = this.backend.endpoints[index]!;
      if (reply instanceof Error) return { endpoint, error: reply.message };
      const [holder, , pttlMs] = reply as [string | null, unknown, number];
      if (holder !== null) seen.set(holder, (seen.get(holder) ?? 0) + 1);
      return { endpoint, holder, holderTtlMs: holder === null ? null : pttlMs };
    });
    const answered = instances.filter((instance) => !('error' in instance)).length;
    if (answered < quorum) {
      const list = instances
        .map(
          (instance) =>
            `${instance.endpoint} ${'error' in instance ? `error (${instance.error})` : 'answered'}`,
        )
        .join(', ');
      throw new LockBackendError('redlock', 'status', {
        lockName: name,
        detail: `${answered} of ${instances.length} instances answered, ${quorum} needed; ${list}`,
      });
    }
    const holder = [...seen].find(([, count]) => count >= quorum)?.[0];
    return {
      name,
      holders: holder === undefined ? [] : [{ id: holder, token: null }],
      waiters: [],
      waiterCount: 0,
      lastToken: null,
      details: { keys: { lock: keys.lock }, instances },
    };
  }

  protected createLock(name: string, options: LockOptions | undefined): RedlockLock {
    return new RedlockLock(
      name,
      { renewEveryMs: this.renewEveryMs, ...options, defaultTtlMs: this.ttlMs, owner: this, remote: true },
      this.backend,
    );
  }

  protected async closeBackend(): Promise<void> {
    if (!this.ownsClients) return;
    await Promise.all(this.clients.map((client) => closeClient(client)));
  }
}

/** Options of a {@link RedlockProvider}: the settings of the `redlock` kind, or clients you built. */
export interface RedlockProviderOptions extends RedisSecuritySettings {
  /** Clients of independent Redis instances you built (not closed by `close()`). Give this or `endpoints`. */
  clients?: readonly RedisLockClient[] | undefined;
  /** `redis://host:port` (or `host:port`) of each independent instance; the provider connects and closes. */
  endpoints?: readonly string[] | undefined;
  /** Key prefix; no braces. Default `'lock:'`. */
  prefix?: string | undefined;
  /** Default lease length in ms, a whole number from 100. Default 30,000. */
  ttlMs?: number | undefined;
  /** Renew every this many ms; default a third of the TTL. */
  renewEveryMs?: number | undefined;
  /** Clock drift allowed between instances, as a fraction of the TTL, from 0 to below 1. Default 0.01. */
  driftFactor?: number | undefined;
  /** How long one instance may take to answer before its vote counts as an error, in ms. Default `ttlMs / 10` (at least 50). */
  instanceTimeoutMs?: number | undefined;
}

import {
  BaseProvider,
  type Capabilities,
  InvalidArgumentError,
  type LockOptions,
  validateLeaseTtl,
  validateOptionsObject,
  validatePositiveMs,
  validateRenewEvery,
} from '@lock/core';
import { Redis, type RedisOptions } from 'ioredis';
import { closeClient } from './close-client.js';
import { ConnectionWatch } from './connection-watch.js';
import { parseEndpoint, validateInstanceIds } from './endpoint.js';
import { REDIS_TTL_RULE } from './lease-ttl.js';
import type { RedisLockClient } from './redis-client.js';
import { assertUsableClient, quietErrors } from './redis-lock-provider.js';
import { type RedlockBackend, RedlockLock } from './redlock-lock.js';

/** Options of a {@link RedlockProvider}. */
export interface RedlockProviderOptions {
  /** Clients of independent Redis instances you built (not closed by `close()`). Give this or `endpoints`. */
  clients?: readonly RedisLockClient[] | undefined;
  /** `redis://host:port` (or `host:port`) of each independent instance; the provider connects and closes. */
  endpoints?: readonly string[] | undefined;
  /** Key prefix; no braces. Default `'lock:'`. */
  prefix?: string | undefined;
  /** Default lease length in ms. Default 30,000. */
  ttlMs?: number | undefined;
  /** Renew every this many ms; default a third of the TTL. */
  renewEveryMs?: number | undefined;
  /** Clock drift allowed between instances, as a fraction of the TTL, from 0 to below 1. Default 0.01. */
  driftFactor?: number | undefined;
  /** How long one instance may take to answer before its vote counts as an error, in ms. Default `ttlMs / 10` (at least 50). */
  instanceTimeoutMs?: number | undefined;
}

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

  constructor(options: RedlockProviderOptions) {
    super();
    validateOptionsObject('options', options);
    if (options === undefined) throw new InvalidArgumentError('options', options, 'an options object');
    const prefix = options.prefix ?? 'lock:';
    if (typeof prefix !== 'string' || /[{}]/.test(prefix))
      throw new InvalidArgumentError('options.prefix', prefix, 'a string without { or }');
    const ttlMs = options.ttlMs ?? 30_000;
    validatePositiveMs('options.ttlMs', ttlMs);
    validateLeaseTtl('options.ttlMs', ttlMs, REDIS_TTL_RULE);
    if (options.renewEveryMs !== undefined) {
      validatePositiveMs('options.renewEveryMs', options.renewEveryMs);
      validateRenewEvery(options.renewEveryMs, ttlMs);
    }
    const driftFactor = options.driftFactor ?? 0.01;
    if (typeof driftFactor !== 'number' || !(driftFactor >= 0 && driftFactor < 1))
      throw new InvalidArgumentError(
        'options.driftFactor',
        driftFactor,
        'a number from 0 to below 1 (0.01 is typical)',
      );
    const instanceTimeoutMs = options.instanceTimeoutMs ?? Math.max(50, Math.floor(ttlMs / 10));
    validatePositiveMs('options.instanceTimeoutMs', instanceTimeoutMs);
    if ((options.clients === undefined) === (options.endpoints === undefined))
      throw new InvalidArgumentError(
        'options.clients',
        options.clients,
        'exactly one of options.clients and options.endpoints',
      );

    let endpoints: string[];
    let clients: RedisLockClient[];
    if (options.endpoints !== undefined) {
      if (!Array.isArray(options.endpoints))
        throw new InvalidArgumentError('options.endpoints', options.endpoints, 'an array of redis:// URLs');
      const parsed = options.endpoints.map((text, index) =>
        parseEndpoint(text, `options.endpoints[${index}]`),
      );
      validateInstanceIds(
        parsed.map((endpoint) => endpoint.id),
        'options.endpoints',
      );
      endpoints = parsed.map((endpoint) => endpoint.id);
      clients = parsed.map(
        (endpoint) => new Redis(endpoint.url, {} as RedisOptions) as unknown as RedisLockClient,
      );
      for (const client of clients) quietErrors(client);
    } else {
      if (!Array.isArray(options.clients))
        throw new InvalidArgumentError('options.clients', options.clients, 'an array of ioredis clients');
      for (const [index, client] of options.clients.entries())
        assertUsableClient(client, `options.clients[${index}]`);
      endpoints = options.clients.map((client, index) =>
        client.options?.host !== undefined && client.options.port !== undefined
          ? `${client.options.host === 'localhost' ? '127.0.0.1' : client.options.host}:${client.options.port}`
          : `#${index}`,
      );
      validateInstanceIds(endpoints, 'options.clients');
      clients = [...options.clients];
    }

    this.prefix = prefix;
    this.ttlMs = ttlMs;
    this.renewEveryMs = options.renewEveryMs;
    this.clients = clients;
    this.ownsClients = options.endpoints !== undefined;
    this.capabilities = Object.freeze({
      backend: 'redlock',
      scope: 'cluster',
      durability: 'replicated-async',
      waiting: 'none',
      fifo: false,
      fencing: false,
      leases: true,
      ttl: REDIS_TTL_RULE,
    });
    this.backend = {
      clients,
      connections: clients.map((client) => new ConnectionWatch(client, this.ownsClients)),
      endpoints,
      prefix,
      capabilities: this.capabilities,
      driftFactor,
      instanceTimeoutMs,
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

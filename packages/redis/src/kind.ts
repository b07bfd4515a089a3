import { type BackendKind, redactUrl } from '@lock/core';
import { redisCapabilities } from './redis/redis-capabilities.js';
import { RedisProvider } from './redis/redis-provider.js';
import { type RedisProviderConfig, redisSettings } from './redis/redis-settings.js';
import { redlockCapabilities } from './redlock/redlock-capabilities.js';
import { RedlockProvider } from './redlock/redlock-provider.js';
import { type RedlockProviderConfig, redlockSettings } from './redlock/redlock-settings.js';
import { parseEndpoint } from './shared/endpoint.js';

const PACKAGE_NAME = '@lock/redis';
const INSTALL = 'npm install @lock/redis ioredis';

/**
 * The `redis` kind: one Redis server (or a Cluster), fenced, FIFO and push-woken, optionally with replica
 * acknowledgement (`waitReplicas`). Its settings are {@link redisSettings}; the lease length is `ttlMs`.
 */
export const redisKind: BackendKind<RedisProviderConfig> = {
  kind: 'redis',
  summary: 'Redis: fenced, push-woken FIFO lock (one server, optional replica acknowledgement)',
  packageName: PACKAGE_NAME,
  install: INSTALL,
  settings: redisSettings,
  capabilities: redisCapabilities,
  createProvider: (settings) => {
    const { url: _url, host: _host, port: _port, ...lock } = settings;
    return new RedisProvider({ ...lock, connection: connectionUrl(settings) });
  },
  address: serverAddress,
  defaultProfile: { acquireReleaseP50Ms: 0.25, opsPerSec: 4_000, source: 'declared' },
  strongest: { url: 'redis://replicated-primary:6379', waitReplicas: 1 },
  leaseSetting: 'ttlMs',
};

/**
 * The `redlock` kind: Redlock over an odd number of independent Redis instances. A majority must grant; it does
 * not fence and never waits in line. Its settings are {@link redlockSettings}; the lease length is `ttlMs`.
 */
export const redlockKind: BackendKind<RedlockProviderConfig> = {
  kind: 'redlock',
  summary: 'Redlock: a majority of independent Redis instances (no fencing, no waiting in line)',
  packageName: PACKAGE_NAME,
  install: INSTALL,
  settings: redlockSettings,
  capabilities: redlockCapabilities,
  createProvider: (settings) => new RedlockProvider(settings),
  address: (settings) => settings.endpoints.map(redactUrl).join(','),
  defaultProfile: { acquireReleaseP50Ms: 0.75, opsPerSec: 1_300, source: 'declared' },
  strongest: { endpoints: ['redis://a:6379', 'redis://b:6379', 'redis://c:6379'] },
  leaseSetting: 'ttlMs',
};

/** The kinds this package implements; the selector finds a configuration's kind here by its name. */
export const kinds = [redisKind, redlockKind];

/**
 * The server's address as the settings give it: the cluster's stable id, so it is kept as written, but for a
 * password in it (`***`: an address is shown by `lock explain` and in messages).
 */
function serverAddress(settings: RedisProviderConfig): string {
  if (settings.url !== undefined) return redactUrl(settings.url);
  const host = settings.host ?? '';
  return `redis://${host.includes(':') ? `[${host}]` : host}:${settings.port ?? 6379}`;
}

/** What to connect to: the URL (with `redis://` added to a bare `host:port`), or one built from host and port. */
function connectionUrl(settings: RedisProviderConfig): string {
  return settings.url === undefined ? serverAddress(settings) : parseEndpoint(settings.url, 'url').url;
}

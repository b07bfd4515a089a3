import { InvalidArgumentError, MAX_TIMER_MS } from '@lock/core';
import { ETCD_MIN_TTL_MS, ETCD_TTL_STEP_MS } from './etcd-capabilities.js';
import type { EtcdClient } from './etcd-client.js';

/** Default session TTL in ms: etcdctl's default for `etcdctl lock`. */
export const DEFAULT_TTL_MS = 10_000;
/** Default bound on one etcd request, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** Settings shared by the provider constructor and `createProvider`. @internal */
export interface EtcdSettings {
  /** Client URLs, when the provider builds its own client. */
  endpoints: string[] | undefined;
  /** The caller's client, when given instead of `endpoints`. */
  client: EtcdClient | undefined;
  /** Session lease TTL in ms (whole seconds). */
  ttlMs: number;
  /** Key prefix, `''` or ending with `/`. */
  prefix: string;
  /** Bound on one etcd request, in ms. */
  requestTimeoutMs: number;
  /** Waiters wait out a predecessor that vanished with its lease (see the provider option). */
  waitOutRevokedHolders: boolean;
}

const KNOWN_FIELDS = new Set([
  'endpoints',
  'client',
  'ttlMs',
  'prefix',
  'requestTimeoutMs',
  'waitOutRevokedHolders',
]);
const ENDPOINT = /^https?:\/\/[^\s/:]+(:[0-9]{1,5})?\/?$/;

/**
 * Checks provider settings before any I/O and names the offending field under `root` (`options` for the
 * constructor, `config` for `createProvider`).
 * @internal
 */
export function validateSettings(
  value: unknown,
  root: 'options' | 'config',
  allowClient: boolean,
): EtcdSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(root, value, 'an object such as { endpoints: ["http://127.0.0.1:2379"] }');
  }
  const record = value as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (!KNOWN_FIELDS.has(field) || (field === 'client' && !allowClient)) {
      const known = [...KNOWN_FIELDS].filter((name) => allowClient || name !== 'client').join(', ');
      throw new InvalidArgumentError(`${root}.${field}`, record[field], `no such field (known: ${known})`);
    }
  }
  const client = record.client as EtcdClient | undefined;
  if (client !== undefined) {
    const shaped =
      typeof client === 'object' &&
      client !== null &&
      'kv' in client &&
      'leaseClient' in client &&
      'watchClient' in client;
    if (!shaped)
      throw new InvalidArgumentError(`${root}.client`, client, 'an etcd3 client (new Etcd3({ hosts }))');
  }
  const endpoints = validateEndpoints(record.endpoints, `${root}.endpoints`);
  if ((endpoints === undefined) === (client === undefined)) {
    throw new InvalidArgumentError(
      `${root}.endpoints`,
      record.endpoints,
      allowClient
        ? 'either endpoints or client, not both and not neither'
        : 'a non-empty array of endpoint URLs',
    );
  }
  const ttlMs = record.ttlMs ?? DEFAULT_TTL_MS;
  if (
    typeof ttlMs !== 'number' ||
    !Number.isInteger(ttlMs) ||
    ttlMs < ETCD_MIN_TTL_MS ||
    ttlMs % ETCD_TTL_STEP_MS !== 0 ||
    ttlMs > MAX_TIMER_MS
  ) {
    throw new InvalidArgumentError(
      `${root}.ttlMs`,
      ttlMs,
      `a whole number of seconds in ms, at least ${ETCD_MIN_TTL_MS} (etcd lease TTLs are whole seconds, and etcd raises shorter ones without saying so)`,
    );
  }
  const prefix = record.prefix ?? '';
  if (typeof prefix !== 'string' || prefix.includes('\0')) {
    throw new InvalidArgumentError(`${root}.prefix`, prefix, 'a string without NUL characters');
  }
  const requestTimeoutMs = record.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (
    typeof requestTimeoutMs !== 'number' ||
    !Number.isInteger(requestTimeoutMs) ||
    requestTimeoutMs < 1 ||
    requestTimeoutMs > MAX_TIMER_MS
  ) {
    throw new InvalidArgumentError(
      `${root}.requestTimeoutMs`,
      requestTimeoutMs,
      'a positive integer number of milliseconds',
    );
  }
  const waitOutRevokedHolders = record.waitOutRevokedHolders ?? false;
  if (typeof waitOutRevokedHolders !== 'boolean') {
    throw new InvalidArgumentError(`${root}.waitOutRevokedHolders`, waitOutRevokedHolders, 'true or false');
  }
  // A prefix always ends with '/', so two prefixes (or a prefix and a name) can never run into each other.
  const separated = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return { endpoints, client, ttlMs, prefix: separated, requestTimeoutMs, waitOutRevokedHolders };
}

function validateEndpoints(value: unknown, parameter: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError(
      parameter,
      value,
      'a non-empty array of URLs such as "http://127.0.0.1:2379"',
    );
  }
  const seen = new Set<string>();
  let scheme: string | undefined;
  return value.map((endpoint: unknown, index) => {
    if (typeof endpoint !== 'string' || !ENDPOINT.test(endpoint)) {
      throw new InvalidArgumentError(
        `${parameter}[${index}]`,
        endpoint,
        'a URL such as "http://127.0.0.1:2379"',
      );
    }
    // etcd3 uses one transport (TLS or not) for every endpoint of a client.
    const own = endpoint.slice(0, endpoint.indexOf(':')).toLowerCase();
    scheme ??= own;
    if (own !== scheme) {
      throw new InvalidArgumentError(
        `${parameter}[${index}]`,
        endpoint,
        `a ${scheme}:// URL like ${parameter}[0]: one client speaks either TLS (https) or plain HTTP/2 (http) to every endpoint`,
      );
    }
    const port = Number(endpoint.replace(/\/$/, '').split(':')[2] ?? '80');
    if (port < 1 || port > 65535) {
      throw new InvalidArgumentError(`${parameter}[${index}]`, endpoint, 'a URL with a port from 1 to 65535');
    }
    const normalized = endpoint.replace(/\/$/, '').toLowerCase();
    if (seen.has(normalized)) {
      throw new InvalidArgumentError(`${parameter}[${index}]`, endpoint, 'an endpoint not already listed');
    }
    seen.add(normalized);
    return endpoint.replace(/\/$/, '');
  });
}

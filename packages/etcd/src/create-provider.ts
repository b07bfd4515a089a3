import { EtcdLockProvider } from './etcd-lock-provider.js';
import { validateSettings } from './etcd-settings.js';

/** JSON-friendly configuration of the etcd backend (for the selector and the `lock` CLI). */
export interface EtcdProviderConfig {
  /** etcd client URLs, e.g. `["http://127.0.0.1:2379"]`. */
  endpoints: string[];
  /** Session lease TTL in ms, whole seconds, at least 2000. Default 10,000. */
  ttlMs?: number;
  /** Key prefix for every lock. Default `''` (the keys `etcdctl lock NAME` uses). */
  prefix?: string;
  /** Bound on one attempt of one etcd request, in ms (a third of `ttlMs` at most). Default 5,000. */
  requestTimeoutMs?: number;
  /**
   * Waiters wait out a predecessor whose key vanished with its lease (etcd issue 15247, etcd before 3.4.28
   * and 3.5.11). Default false. See `EtcdLockProviderOptions.waitOutRevokedHolders`.
   */
  waitOutRevokedHolders?: boolean;
}

/**
 * Builds an {@link EtcdLockProvider} from a JSON config. Every field is checked before any I/O, and a bad
 * one is reported as `InvalidArgumentError` naming it (`config.endpoints[1]`, `config.ttlMs`).
 */
export function createProvider(config: EtcdProviderConfig): EtcdLockProvider {
  const settings = validateSettings(config, 'config', false);
  return new EtcdLockProvider({
    endpoints: settings.endpoints,
    ttlMs: settings.ttlMs,
    prefix: settings.prefix,
    requestTimeoutMs: settings.requestTimeoutMs,
    waitOutRevokedHolders: settings.waitOutRevokedHolders,
  });
}

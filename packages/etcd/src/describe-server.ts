import { type EtcdServerInfo, leaseRevocationMessage } from './server-version.js';

/**
 * What `EtcdProvider.describe()` reports: the server in words and what a caller should know about it, for
 * tools such as `lock explain` and `lock status` that show any provider's server the same way.
 */
export interface EtcdProviderDescription {
  /** The server in words: `"etcd 3.4.23"` (the version of the member that answered). */
  readonly server: string;
  /** What a caller should know, one sentence each; empty when nothing. */
  readonly warnings: readonly string[];
  /** The same facts in etcd's terms. */
  readonly details: {
    /** The version the member reported. */
    readonly version: string;
    /** Affected by etcd issue 15247 (see `EtcdServerInfo.leaseRevocationBug`). */
    readonly leaseRevocationBug: boolean;
    /** Whether this provider's waiters wait out revoked holders (the mitigation). */
    readonly waitOutRevokedHolders: boolean;
    /** The session lease TTL, in ms. */
    readonly sessionTtlMs: number;
  };
}

/**
 * Describes a server for a provider: a server affected by etcd issue 15247 is a warning unless the provider
 * waits out revoked holders (then it is a fact in `details`, as the mitigation protects only when every
 * contender uses it).
 * @internal
 */
export function describeServer(
  info: EtcdServerInfo,
  provider: { readonly waitOutRevokedHolders: boolean; readonly ttlMs: number },
): EtcdProviderDescription {
  const exposed = info.leaseRevocationBug && !provider.waitOutRevokedHolders;
  return {
    server: `etcd ${info.version}`,
    warnings: exposed ? [leaseRevocationMessage(info)] : [],
    details: {
      version: info.version,
      leaseRevocationBug: info.leaseRevocationBug,
      waitOutRevokedHolders: provider.waitOutRevokedHolders,
      sessionTtlMs: provider.ttlMs,
    },
  };
}

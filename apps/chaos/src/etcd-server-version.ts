import type { EtcdCluster } from '@lock/testkit';

/**
 * Whether an etcd server version has the old-leader lease revocation bug: a leader paused past the lease
 * TTL, on resuming, still revokes the leases it believes expired, and revocations sent just after it stepped
 * down are committed. Live, just-renewed leases are then revoked with their lock keys, the next waiter is
 * granted, and the holder learns it only at its next keepalive: two holders for a moment. Fixed in 3.4.28
 * and 3.5.11 (etcd issue 15247); 3.6 has the fix.
 *
 * Undefined when the version cannot be read: a caller cannot assume the fix then.
 */
export function revokesLiveLeasesAfterLeaderPause(version: string): boolean | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (match === null) return undefined;
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  if (major !== 3) return major < 3;
  if (minor < 4) return true;
  if (minor === 4) return patch < 28;
  if (minor === 5) return patch < 11;
  return false;
}

/**
 * The version every member of `cluster` reports through the maintenance status endpoint, the oldest if
 * they differ (the bug belongs to whichever member leads). Undefined if no member answers with one.
 */
export async function etcdServerVersion(cluster: EtcdCluster): Promise<string | undefined> {
  const statuses = await Promise.allSettled(cluster.members.map((member) => member.status()));
  const versions = statuses
    .flatMap((status) =>
      status.status === 'fulfilled' && status.value.version ? [status.value.version] : [],
    )
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return versions[0];
}

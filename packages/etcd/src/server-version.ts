/** What the provider learned about the etcd server it talks to. */
export interface EtcdServerInfo {
  /** The version the answering member reports (maintenance status), e.g. `"3.4.23"`. */
  readonly version: string;
  /**
   * True for versions in which a leader that resumes from a pause can revoke leases that are alive (etcd
   * issue 15247, fixed in 3.4.28 and 3.5.11): the locks of healthy holders are then deleted and handed to
   * the next waiter while the holder still believes it holds (see the README). Also true for versions that
   * cannot be parsed, which are assumed affected.
   */
  readonly leaseRevocationBug: boolean;
}

/** `process.emitWarning` code of the warning about {@link EtcdServerInfo.leaseRevocationBug}. */
export const LEASE_REVOCATION_WARNING = 'LOCK_ETCD_LEASE_REVOCATION';

/** First fixed patch release per affected minor line; minor lines before the first listed are all affected. */
const FIXED_IN: ReadonlyMap<string, number> = new Map([
  ['3.4', 28],
  ['3.5', 11],
]);

/** Facts about `version`, as reported by etcd. @internal */
export function serverInfo(version: string): EtcdServerInfo {
  return { version, leaseRevocationBug: hasLeaseRevocationBug(version) };
}

function hasLeaseRevocationBug(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) return true;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (major !== 3) return major < 3;
  const fixedPatch = FIXED_IN.get(`${major}.${minor}`);
  if (fixedPatch !== undefined) return patch < fixedPatch;
  // 3.3 and older never got the fix; 3.6 and later have it.
  return minor < 4;
}

/** What a caller of an affected server must know, and what to do about it. @internal */
export function leaseRevocationMessage(info: EtcdServerInfo): string {
  return `etcd ${info.version} can revoke live leases when a paused leader resumes (etcd issue 15247, fixed in 3.4.28 and 3.5.11): a lock can then be granted to a waiter while its holder still believes it holds it. Upgrade etcd, fence what the lock guards (reads as well as writes), or set waitOutRevokedHolders on every provider.`;
}

/**
 * Warns once (per provider: the caller keeps track) that the server may revoke live leases after a leader
 * pause, with what to do about it.
 * @internal
 */
export function warnLeaseRevocation(info: EtcdServerInfo): void {
  process.emitWarning(leaseRevocationMessage(info), { type: 'LockWarning', code: LEASE_REVOCATION_WARNING });
}

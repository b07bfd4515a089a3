import { fnv1a64, mix64 } from './fnv1a64.js';

/**
 * Rendezvous (highest random weight) hashing: the index of the cluster `name` belongs to, among clusters
 * identified by `clusterIds`. Each (cluster, name) pair gets a stable pseudo-random weight and the heaviest
 * cluster wins, so every process that knows the same ids maps a name to the same cluster, and adding an
 * N-th cluster moves only the names it now wins (about 1/N of them) while removing one moves only its own.
 * Identify clusters by something stable (their address or an explicit id), never by position.
 *
 * @returns an index into `clusterIds`; throws `RangeError` when there are none.
 */
export function rendezvousIndex(name: string, clusterIds: readonly string[]): number {
  if (clusterIds.length === 0) throw new RangeError('rendezvousIndex needs at least one cluster id');
  if (clusterIds.length === 1) return 0;
  const nameHash = fnv1a64(name);
  let bestIndex = 0;
  let bestWeight = -1n;
  for (let index = 0; index < clusterIds.length; index += 1) {
    const weight = rendezvousWeight(nameHash, clusterIds[index]!);
    // Ties are astronomically rare; breaking them by id (not position) keeps the answer order-independent.
    if (weight > bestWeight || (weight === bestWeight && clusterIds[index]! < clusterIds[bestIndex]!)) {
      bestWeight = weight;
      bestIndex = index;
    }
  }
  return bestIndex;
}

/** The weight of one cluster for one name: a keyed mix of the two hashes. @internal */
export function rendezvousWeight(nameHash: bigint, clusterId: string): bigint {
  return mix64(nameHash ^ mix64(fnv1a64(clusterId)));
}

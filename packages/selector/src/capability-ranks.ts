import type { Durability, LockScope } from '@lock/core';

/** Scopes from narrowest to widest: a wider scope also covers the narrower ones. */
export const SCOPE_RANK: Readonly<Record<LockScope, number>> = Object.freeze({
  process: 0,
  threads: 1,
  host: 2,
  cluster: 3,
});

/** Durabilities from weakest to strongest: a stronger one also satisfies the weaker ones. */
export const DURABILITY_RANK: Readonly<Record<Durability, number>> = Object.freeze({
  memory: 0,
  'single-node': 1,
  'replicated-async': 2,
  consensus: 3,
});

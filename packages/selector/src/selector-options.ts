import type { CalibrateOptions } from './calibrate.js';
import type { ModuleLoader } from './types.js';

/** Options of {@link Selector.create}. */
export interface SelectorOptions {
  /**
   * Loads a backend package by name. The default is a dynamic `import()` from this package's location;
   * pass `(name) => import(name)` from your own code when your package manager does not let this package
   * see yours (pnpm without hoisting).
   */
  loadModule?: ModuleLoader | undefined;
  /** Calibrate the backends before checking the policies; see `Selector.calibrate`. */
  calibrate?: boolean | CalibrateOptions | undefined;
  /**
   * `false` skips the check of every policy at startup and after calibration (for tools that explain one
   * name even when another policy is unsatisfiable); `lock()` still refuses a name whose needs no backend
   * meets. Default `true`.
   */
  check?: boolean | undefined;
  /**
   * A lease length in ms for every backend whose grants expire: it replaces the setting each kind names as
   * its lease length (a Redis lock's default `ttlMs`, an etcd session's TTL, a ZooKeeper session timeout),
   * validated by the kind like the configuration's own. What `lock run --ttl` sets.
   */
  ttlMs?: number | undefined;
  /**
   * Pins every name to this configured backend entry (it must still meet each policy's needs), over any
   * policy's own `backend`: for tools that drive one backend, such as `lock stress --backend`. An entry that
   * is not configured is an `InvalidArgumentError`.
   */
  backend?: string | undefined;
}

// The postgres suite's peers and packages, loaded when the suite runs and not before: `bench mutex` must run
// without pg installed or loaded. tsup keeps them external (skipNodeModulesBundle), so these are plain dynamic
// imports.
import type * as LockPostgres from '@lock/postgres';
import type * as Testkit from '@lock/testkit';
import type PgModule from 'pg';

const load = (specifier: string): Promise<unknown> => import(specifier);

/** advisory-lock's default export: a connection string, then a name, gives a mutex. */
export type CreateMutex = (conString: string) => (name: string) => { lock(): Promise<() => Promise<void>> };

/** Runtime modules of the postgres suite. */
export interface PostgresRuntime {
  Client: typeof PgModule.Client;
  createMutex: CreateMutex;
  PostgresProvider: typeof LockPostgres.PostgresProvider;
  startPostgres: typeof Testkit.startPostgres;
}

let cached: Promise<PostgresRuntime> | undefined;

export function postgresRuntime(): Promise<PostgresRuntime> {
  cached ??= (async () => {
    const [pg, advisoryLock, lockPostgres, testkit] = (await Promise.all(
      ['pg', 'advisory-lock', '@lock/postgres', '@lock/testkit'].map(load),
    )) as [
      { default: typeof PgModule },
      { default: CreateMutex | { default: CreateMutex } },
      typeof LockPostgres,
      typeof Testkit,
    ];
    // advisory-lock is CommonJS with `exports.default`: Node's ESM import wraps it once more.
    const createMutex =
      typeof advisoryLock.default === 'function' ? advisoryLock.default : advisoryLock.default.default;
    return {
      Client: pg.default.Client,
      createMutex,
      PostgresProvider: lockPostgres.PostgresProvider,
      startPostgres: testkit.startPostgres,
    };
  })();
  return cached;
}

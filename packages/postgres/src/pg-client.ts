/**
 * The part of a `pg` client this package uses, typed structurally so that any pg 8 build (and a test double
 * of the same shape) fits. A `pg.Client` and the clients a `pg.Pool` hands out both have it.
 */
export interface PgClient {
  query(
    query: string | { readonly text: string; readonly values?: unknown[]; readonly name?: string },
    values?: unknown[],
  ): Promise<{ rows: Record<string, unknown>[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'end', listener: () => void): unknown;
}

/** The part of a `pg.Pool` this package uses: it checks out one client per session and destroys it after. */
export interface PgPool {
  connect(): Promise<PgClient & { release(destroy?: boolean | Error): void }>;
}

/**
 * pg's connection options, as `new pg.Client(options)` takes them (`host`, `port`, `user`, `password` as a
 * string or a function, `database`, `ssl`, `connectionString`, ...). Typed loosely so that this package's
 * types do not need `@types/pg`; pg itself checks them.
 */
export interface PgConnectionOptions {
  readonly [option: string]: unknown;
}

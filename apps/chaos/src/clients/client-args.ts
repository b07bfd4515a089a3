/** What the runner passes to every client process (structured-cloned). */
export interface ClientArgs<Config> {
  /** The backend's JSON config, as `createProvider` takes it. */
  config: Config;
  /** The lock every client contends for. */
  name: string;
  /** Lease length, for backends that take it per lock. */
  ttlMs: number;
}

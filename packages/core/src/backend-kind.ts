import type { SettingsSchema } from './settings/parse-settings.js';
import type { Capabilities, CapabilityProfile, LockProvider } from './types.js';

/**
 * One kind of backend, described by the package that implements it. Everything the selector, the
 * configuration schema and the `lock` command know about a backend comes from here, so none of them names a
 * backend's settings, rules or capabilities: a new backend is one package.
 *
 * A package exports its kinds as `kinds` (an array: `@lock/redis` has `redis` and `redlock`) from its main
 * entry. The provider the package builds declares `capabilities(settings)` too: one source of truth.
 *
 * @example
 * ```ts
 * export const redisKind: BackendKind<RedisProviderConfig> = {
 *   kind: 'redis',
 *   summary: 'Redis: fenced, push-woken FIFO lock',
 *   packageName: '@lock/redis',
 *   install: 'npm install @lock/redis ioredis',
 *   settings: redisSettings,            // a Valibot strict object
 *   capabilities: redisCapabilities,
 *   createProvider: (settings) => new RedisProvider(settings),
 *   address: (settings) => settings.url,
 *   defaultProfile: { acquireReleaseP50Ms: 0.25, opsPerSec: 4_000, source: 'declared' },
 *   strongest: { url: 'redis://replicated', waitReplicas: 1 },
 *   leaseSetting: 'ttlMs',
 * };
 * export const kinds = [redisKind, redlockKind];
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the default is any kind, whatever its settings (a kind is contravariant in them).
export interface BackendKind<Settings extends object = any> {
  /** The name a configuration's `kind` field uses: lowercase letters, digits and `-`. */
  readonly kind: string;
  /** One line on what it is, shown by `explain` and in the configuration's JSON Schema. */
  readonly summary: string;
  /** The package that implements it. */
  readonly packageName: string;
  /** How to install it with its client library, for the "not installed" message. */
  readonly install: string;
  /**
   * The settings of one cluster of this kind, as a configuration entry holds them: a Valibot object schema
   * (strict: unknown keys are errors). It gives the TypeScript type, the runtime validation with JSON paths,
   * and the JSON Schema fragment of `lock.config.schema.json`.
   */
  readonly settings: SettingsSchema<Settings>;
  /** What its locks guarantee with these settings. The provider declares the same: it calls this. */
  capabilities(settings: Settings): Capabilities;
  /** Builds a provider from validated settings. */
  createProvider(settings: Settings): LockProvider | Promise<LockProvider>;
  /** A stable id of the cluster the settings point at (its address), for spreading names over clusters. */
  address(settings: Settings): string;
  /** Speed to select by when nothing is measured or declared: rough medians on loopback servers. */
  readonly defaultProfile: CapabilityProfile;
  /**
   * Settings that show the kind at its strongest (an ensemble, replica acknowledgement), so that when no
   * configured backend meets the needs the selector can name a kind that would.
   */
  readonly strongest: Settings;
  /**
   * The setting that holds the default lease length (ms), for kinds whose grants expire. Where the lease
   * belongs to the session (`capabilities.ttl.setBy === 'session'`), it is the only way to change it: a tool
   * such as `lock run --ttl` sets this setting instead of a per-lock `ttlMs`.
   */
  readonly leaseSetting?: (keyof Settings & string) | undefined;
  /**
   * True for kinds whose provider must exist in the main thread before workers start: shared memory for the
   * `threads` scope, which workers receive when they start (`processSharedBuffer`). The selector makes such
   * providers at startup, in the main thread.
   */
  readonly prepareInMainThread?: boolean | undefined;
}

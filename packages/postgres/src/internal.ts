// Not part of the product: `@lock/postgres/internal`, what this package's tests reach inside for. Nothing here
// is covered by semver.
export { urlProblem } from './connection-url.js';
export { POSTGRES_MIN_TTL_MS } from './postgres-capabilities.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_FENCE_SEQUENCE,
  DEFAULT_TTL_MS,
  postgresSettings,
  settingsAddress,
} from './postgres-settings.js';
export { blockingGrant, quoteName, RELEASE, tryGrant } from './statements.js';

import type { SelectorConfig } from './types.js';

/**
 * The configuration used when none is given: no server, every name locked in-process. Ask for more with
 * extra needs (`selector.lock(name, undefined, { scope: 'threads' })` picks the shared-memory mutex).
 */
export const DEFAULT_CONFIG: SelectorConfig = Object.freeze({
  policies: Object.freeze({ '*': Object.freeze({ scope: 'process' as const }) }),
});

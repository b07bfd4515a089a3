import type { ConfigIssue } from '../settings/config-issue.js';
import { formatIssue } from '../settings/config-issue.js';
import { InvalidArgumentError } from './invalid-argument-error.js';

const marker = Symbol.for('@lock/core.InvalidConfigError');

/**
 * A configuration (a `lock.config.json`, a backend's settings) with one or more problems, all of them listed:
 * each with its JSON path, what was expected and what was received, so one run shows everything to fix. An
 * `InvalidArgumentError` whose `parameter` is the first problem's path.
 *
 * @example
 * ```text
 * Invalid configuration in lock.config.json (2 problems):
 *   backends.cache.url: expected a redis:// or rediss:// URL, received "http://x"
 *   backends.cache.ttl: expected one of the known keys (`url`, `ttlMs`); did you mean `ttlMs`?, received 5
 * ```
 */
export class InvalidConfigError extends InvalidArgumentError {
  /** @internal */
  readonly [marker] = true;
  /** Every problem found, in document order. */
  readonly issues: readonly ConfigIssue[];
  /** Where the configuration came from (a file path), when known. */
  readonly source: string | undefined;

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const first = issues[0] ?? { path: '', expected: 'a valid configuration', received: 'nothing' };
    super(first.path || 'config', first.value, first.expected);
    const where = source === undefined ? '' : ` in ${source}`;
    this.message =
      issues.length === 1
        ? `Invalid configuration${where}: ${formatIssue(first)}`
        : `Invalid configuration${where} (${issues.length} problems):\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`;
    this.name = 'InvalidConfigError';
    this.issues = issues;
    this.source = source;
  }

  static override isInstance(value: unknown): value is InvalidConfigError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

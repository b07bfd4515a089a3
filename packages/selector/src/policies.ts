import { InvalidArgumentError } from '@lock/core';
import { NamePattern } from './name-pattern.js';
import { resolveNeeds } from './resolve-needs.js';
import type { PolicyConfig, ResolvedNeeds, SelectorConfig } from './types.js';

/** A policy of the configuration: the pattern it covers and the needs it declares, defaults filled in. */
export interface Policy {
  readonly pattern: NamePattern;
  readonly config: PolicyConfig;
  readonly needs: ResolvedNeeds;
}

/** The policies of a configuration, compiled once. */
export function compilePolicies(config: SelectorConfig): Policy[] {
  return Object.entries(config.policies ?? {}).map(([pattern, policy]) => ({
    pattern: new NamePattern(pattern),
    config: policy,
    needs: resolveNeeds(policy),
  }));
}

/**
 * The policy that governs `name`: an exact pattern wins, then the one with the most literal characters, then
 * the first declared. A name no policy covers is an error, never a silent default.
 */
export function policyFor(policies: readonly Policy[], name: string): Policy {
  const best = NamePattern.best(
    policies.map((policy) => policy.pattern),
    name,
  );
  const policy = policies.find((candidate) => candidate.pattern === best);
  if (policy === undefined) {
    throw new InvalidArgumentError(
      'name',
      name,
      `a name matched by a policy (configured patterns: ${policies.map((item) => JSON.stringify(item.pattern.source)).join(', ') || 'none'}; add a "*" policy for a default)`,
    );
  }
  return policy;
}

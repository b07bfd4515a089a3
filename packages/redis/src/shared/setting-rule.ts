import { InvalidArgumentError } from '@lock/core';
import * as v from 'valibot';

type Settings = Record<string, unknown>;

/**
 * A rule between settings (`renewEveryMs` against `ttlMs`, say), as a step of an object schema's pipe:
 * `problem` returns what `key` must be, or undefined when the settings keep the rule. It runs only when `key` and
 * every setting it depends on passed their own checks (else those problems are what is reported), and also when
 * other settings have problems, so one run reports everything. The problem is reported at `key`, with its value.
 */
export function settingRule<T extends object>(
  key: keyof T & string,
  dependsOn: readonly (keyof T & string)[],
  problem: (settings: T) => string | undefined,
): v.RawCheckAction<T> {
  const involved: readonly string[] = [key, ...dependsOn];
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    const settings = dataset.value as unknown;
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return;
    if (dataset.issues?.some((issue) => involved.includes(String(issue.path?.[0]?.key)))) return;
    const expected = problem(settings as T);
    if (expected === undefined) return;
    const value = (settings as Settings)[key];
    addIssue({
      message: expected,
      input: value,
      path: [{ type: 'object', origin: 'value', input: settings as Settings, key, value }],
    });
  });
}

/**
 * A check of one setting by a validator that throws `InvalidArgumentError` (one of core's, or this package's):
 * the rule and its words stay in one place, and the setting reports the validator's `expected`. Put it after the
 * setting's type checks: it runs only when they passed.
 */
export function expectedBy<T>(validate: (value: T) => void): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    // After an earlier step of the same setting failed, that problem is the one to report.
    if (!dataset.typed || dataset.issues !== undefined) return;
    const expected = expectedOf(() => validate(dataset.value));
    if (expected !== undefined) addIssue({ message: expected });
  });
}

/** The `expected` of the `InvalidArgumentError` a validator throws, or undefined when it passes. */
export function expectedOf(validate: () => void): string | undefined {
  try {
    validate();
    return undefined;
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) return error.expected;
    throw error;
  }
}

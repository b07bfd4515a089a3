import * as v from 'valibot';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { describeValue } from '../errors/lock-error.js';
import { holdsSecret, redactedValue } from '../redact.js';
import { type ConfigIssue, joinPath } from './config-issue.js';
import { unknownKeyExpected } from './did-you-mean.js';

/** A settings schema: a Valibot schema whose output is the validated settings. */
export type SettingsSchema<Output = unknown> = v.GenericSchema<unknown, Output>;

/** What {@link checkSettings} found: the settings when valid, and every problem otherwise. */
export type SettingsCheck<Output> =
  | { readonly ok: true; readonly value: Output; readonly issues: readonly [] }
  | { readonly ok: false; readonly value: undefined; readonly issues: readonly ConfigIssue[] };

/**
 * Validates `input` against `schema` and reports every problem (not only the first) with its JSON path below
 * `path`, what was expected there and what was received. An unknown key in a strict object is reported with
 * the closest known key ("did you mean `ttlMs`?").
 */
export function checkSettings<Output>(
  schema: SettingsSchema<Output>,
  input: unknown,
  path: string,
): SettingsCheck<Output> {
  const result = v.safeParse(schema, input, { abortEarly: false });
  if (result.success) return { ok: true, value: result.output, issues: [] };
  // One problem once: a value that fails two checks worded alike (an integer from 1, given 0.5) is one line.
  const seen = new Set<string>();
  const issues = result.issues
    .flatMap((issue) => toConfigIssues(schema, issue, path))
    .filter((issue) => {
      const key = `${issue.path}\0${issue.expected}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { ok: false, value: undefined, issues };
}

/** Like {@link checkSettings}, but returns the settings or throws an `InvalidConfigError` listing every problem. */
export function parseSettings<Output>(
  schema: SettingsSchema<Output>,
  input: unknown,
  path: string,
  source?: string,
): Output {
  const checked = checkSettings(schema, input, path);
  if (!checked.ok) throw new InvalidConfigError(checked.issues, source);
  return checked.value;
}

/** The object keys a schema accepts (through optional, pipe and similar wrappers), or undefined. */
export function schemaKeys(schema: unknown): string[] | undefined {
  const entries = unwrap(schema)?.entries;
  return entries === undefined ? undefined : Object.keys(entries);
}

type AnyIssue = v.BaseIssue<unknown>;

interface SchemaNode {
  readonly type?: string;
  readonly entries?: Record<string, unknown>;
  readonly item?: unknown;
  readonly value?: unknown;
  readonly wrapped?: unknown;
  readonly pipe?: readonly unknown[];
}

function toConfigIssues(root: unknown, issue: AnyIssue, base: string): ConfigIssue[] {
  const keys = (issue.path ?? []).map((item) => item.key as string | number);
  const path = keys.reduce<string>((joined, key) => joinPath(joined, key), base);
  if (isObjectIssue(issue) && keys.length > 0 && issue.expected !== 'never' && issue.input === undefined) {
    // A required key that is missing: say what its own schema expects, not what the object as a whole is.
    const own = messageOf(schemaAt(root, keys));
    return [{ path, expected: own ?? expectedOf(issue), received: 'undefined', value: undefined }];
  }
  if (issue.type === 'strict_object' && keys.length > 0) {
    // Valibot reports the first unknown key of an object; report every one, each with its closest known key.
    const parentKeys = keys.slice(0, -1);
    const parentPath = parentKeys.reduce<string>((joined, key) => joinPath(joined, key), base);
    const known = schemaKeys(schemaAt(root, parentKeys)) ?? [];
    const object = issue.path?.[issue.path.length - 1]?.input;
    const unknown = isRecord(object)
      ? Object.keys(object).filter((key) => !known.includes(key))
      : [String(keys[keys.length - 1])];
    return unknown.map((key) => {
      const value = isRecord(object) ? object[key] : issue.input;
      return {
        path: joinPath(parentPath, key),
        expected: unknownKeyExpected(key, known),
        received: `the key ${JSON.stringify(key)}`,
        value: holdsSecret(value, key) ? redactedValue(value, key) : value,
      };
    });
  }
  // A password or key given wrongly (a number, an invalid URL with user info) is still not shown.
  if (holdsSecret(issue.input, String(keys[keys.length - 1] ?? ''))) {
    const shown = redactedValue(issue.input, String(keys[keys.length - 1] ?? ''));
    return [{ path, expected: expectedOf(issue), received: describeValue(shown), value: shown }];
  }
  return [{ path, expected: expectedOf(issue), received: describeValue(issue.input), value: issue.input }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isObjectIssue(issue: AnyIssue): boolean {
  return issue.type === 'object' || issue.type === 'strict_object' || issue.type === 'loose_object';
}

/** The message a schema was given (this project words them as what is expected), through its wrappers. */
function messageOf(schema: unknown): string | undefined {
  let node = schema as (SchemaNode & { message?: unknown }) | undefined;
  for (let depth = 0; node !== undefined && depth < 16; depth += 1) {
    if (typeof node.message === 'string') return node.message;
    if (node.wrapped !== undefined) node = node.wrapped as SchemaNode;
    else if (node.pipe !== undefined && node.pipe[0] !== node) node = node.pipe[0] as SchemaNode;
    else return undefined;
  }
  return undefined;
}

/**
 * The expected phrase: a schema's own message when it gave one (this project's schemas word their messages
 * as what is expected, "a positive integer number of milliseconds"), else Valibot's expectation in words.
 */
function expectedOf(issue: AnyIssue): string {
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  const expected = issue.expected ?? '';
  switch (issue.type) {
    case 'min_value':
    case 'min_length':
      return `${issue.type === 'min_length' ? 'a length ' : ''}at least ${expected.replace('>=', '')}`;
    case 'max_value':
    case 'max_length':
      return `${issue.type === 'max_length' ? 'a length ' : ''}at most ${expected.replace('<=', '')}`;
    case 'integer':
      return 'an integer';
    case 'object':
    case 'strict_object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
    case 'number':
    case 'boolean':
      return `a ${issue.type}`;
    default:
      return expected === '' ? issue.message : expected;
  }
}

/**
 * The structural schema inside wrappers: optional/nullable (`wrapped`) and pipes, whose structural element may
 * follow a guard (`v.pipe(v.custom(isPlainObject), v.strictObject(...))`).
 */
function unwrap(schema: unknown): SchemaNode | undefined {
  let node = schema as SchemaNode | undefined;
  for (let depth = 0; node !== undefined && depth < 16; depth += 1) {
    if (node.entries !== undefined || node.item !== undefined || node.value !== undefined) return node;
    if (node.wrapped !== undefined) node = node.wrapped as SchemaNode;
    else if (node.pipe !== undefined) {
      const inner = node.pipe.find((element) => element !== node && isStructural(element));
      if (inner === undefined) return node;
      node = inner as SchemaNode;
    } else return node;
  }
  return node;
}

function isStructural(element: unknown): boolean {
  const node = element as SchemaNode & { kind?: string };
  return (
    node.kind === 'schema' &&
    (node.entries !== undefined ||
      node.item !== undefined ||
      node.value !== undefined ||
      node.wrapped !== undefined ||
      node.pipe !== undefined)
  );
}

function schemaAt(schema: unknown, keys: readonly (string | number)[]): unknown {
  let node: unknown = schema;
  for (const key of keys) {
    const current = unwrap(node);
    if (current === undefined) return undefined;
    if (current.entries !== undefined) node = current.entries[String(key)];
    else if (current.item !== undefined) node = current.item;
    else if (current.value !== undefined) node = current.value;
    else return undefined;
  }
  return node;
}

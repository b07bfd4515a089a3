import { InvalidArgumentError } from '@lock/core';
import * as v from 'valibot';

/** A Redis endpoint parsed from `redis://host:port` or `host:port`. */
export interface Endpoint {
  host: string;
  port: number;
  /** `host:port`, with `localhost` as `127.0.0.1`, for duplicate detection. */
  id: string;
  /** The text to hand ioredis (a URL). */
  url: string;
}

/** What an endpoint must be, in the words every message about one uses. */
export const ENDPOINT_EXPECTED = 'a redis://host:port URL (or rediss://, or host:port)';

/**
 * Parses an endpoint, or says what is wrong with it: the one rule for a Redis server's address, used by the
 * providers' constructors and by the settings schemas alike.
 */
export function readEndpoint(text: unknown): Endpoint | string {
  if (typeof text !== 'string' || text.trim() === '') return ENDPOINT_EXPECTED;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `redis://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return ENDPOINT_EXPECTED;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return 'a redis:// or rediss:// URL';
  const port = url.port === '' ? 6379 : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') return 'a URL with a host';
  const canonicalHost = host === 'localhost' ? '127.0.0.1' : host.toLowerCase();
  return { host, port, id: `${canonicalHost}:${port}`, url: url.toString() };
}

/** Parses an endpoint; rejects anything else with an error naming `parameter`. */
export function parseEndpoint(text: unknown, parameter: string): Endpoint {
  const endpoint = readEndpoint(text);
  if (typeof endpoint === 'string') throw new InvalidArgumentError(parameter, text, endpoint);
  return endpoint;
}

/** A setting holding one endpoint (`url`, an entry of `endpoints`). */
export const endpointSetting = v.pipe(
  v.string(ENDPOINT_EXPECTED),
  v.check(
    (text) => typeof readEndpoint(text) !== 'string',
    (issue) => readEndpoint(issue.input) as string,
  ),
);

/** One problem of an instance list: `index` names the entry, else the list itself is wrong. */
export interface InstanceListProblem {
  readonly index?: number | undefined;
  readonly expected: string;
}

/**
 * Checks a Redlock instance list (by endpoint ids): non-empty, an odd number (an even N tolerates no more
 * failures than N - 1), and no endpoint twice (the same server counted twice fakes a majority). Ids that are
 * `undefined` (entries already reported as malformed) count towards the length only.
 */
export function instanceListProblems(ids: readonly (string | undefined)[]): InstanceListProblem[] {
  if (ids.length === 0) return [{ expected: 'a non-empty list of independent Redis instances' }];
  const problems: InstanceListProblem[] = [];
  if (ids.length % 2 === 0)
    problems.push({
      expected: `an odd number of instances (${ids.length} tolerates no more failures than ${ids.length - 1})`,
    });
  const seen = new Map<string, number>();
  ids.forEach((id, index) => {
    if (id === undefined) return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else problems.push({ index, expected: `an instance not already listed (same as [${first}])` });
  });
  return problems;
}

/** Throws the first problem of an instance list as an `InvalidArgumentError` naming `parameter` (or its entry). */
export function validateInstanceIds(ids: readonly string[], parameter: string): void {
  const [problem] = instanceListProblems(ids);
  if (problem === undefined) return;
  if (problem.index === undefined) throw new InvalidArgumentError(parameter, ids, problem.expected);
  throw new InvalidArgumentError(`${parameter}[${problem.index}]`, ids[problem.index], problem.expected);
}

/**
 * A setting holding a Redlock instance list: endpoints, an odd number of them, none twice. Problems of the list
 * are reported at the list, a duplicate at its own entry.
 */
export const instanceListSetting = v.pipe(
  v.array(endpointSetting, `a non-empty array of endpoints, each ${ENDPOINT_EXPECTED}`),
  v.rawCheck(({ dataset, addIssue }) => {
    const list = dataset.value;
    if (!Array.isArray(list)) return;
    const ids = list.map((text) => {
      const endpoint = readEndpoint(text);
      return typeof endpoint === 'string' ? undefined : endpoint.id;
    });
    for (const problem of instanceListProblems(ids)) {
      if (problem.index === undefined) {
        addIssue({ message: problem.expected, input: list });
        continue;
      }
      const value: unknown = list[problem.index];
      addIssue({
        message: problem.expected,
        input: value,
        path: [{ type: 'array', origin: 'value', input: list, key: problem.index, value }],
      });
    }
  }),
);

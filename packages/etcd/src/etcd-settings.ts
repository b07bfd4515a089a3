import { MAX_TIMER_MS, millisecondsSetting } from '@lock/core';
import * as v from 'valibot';
import {
  ENDPOINT_EXPECTED,
  ENDPOINT_PATTERN,
  ENDPOINTS_EXPECTED,
  endpointListProblem,
  endpointProblem,
} from './endpoints.js';
import { ETCD_MIN_TTL_MS, ETCD_TTL_STEP_MS } from './etcd-capabilities.js';
import { etcdAuthSettings, etcdTlsSettings } from './etcd-security.js';

/** Default session TTL in ms: etcdctl's default for `etcdctl lock`. @internal */
export const DEFAULT_TTL_MS = 10_000;
/** Default bound on one attempt of one etcd request, in ms. @internal */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/**
 * The settings of one etcd cluster, as a `lock.config.json` entry or `createProvider(config)` holds them: one
 * definition gives the TypeScript type, the validation (every problem with its JSON path) and the JSON Schema.
 * Unknown keys are errors. The provider's constructor checks its options with the same entries.
 */
export const etcdSettings = v.strictObject(
  {
    endpoints: endpointsSetting(),
    prefix: v.optional(
      v.pipe(
        v.string('a string without NUL characters'),
        v.check((prefix) => !prefix.includes('\0'), 'a string without NUL characters'),
        v.description(
          'Prepended to every lock key; a "/" is appended when missing. "" gives the keys of `etcdctl lock`.',
        ),
      ),
      '',
    ),
    ttlMs: v.optional(ttlSetting(), DEFAULT_TTL_MS),
    requestTimeoutMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description(
          'Bound on one attempt of one etcd request, in ms; attempts are also bounded by a third of ttlMs.',
        ),
      ),
      DEFAULT_REQUEST_TIMEOUT_MS,
    ),
    waitOutRevokedHolders: v.optional(
      v.pipe(
        v.boolean('true or false'),
        v.description(
          'Waiters wait out a predecessor whose key vanished with its lease (etcd issue 15247, etcd before 3.4.28 and 3.5.11). Protects only when every contender sets it.',
        ),
      ),
      false,
    ),
    tls: v.optional(etcdTlsSettings),
    auth: v.optional(etcdAuthSettings),
  },
  'an object such as { "endpoints": ["http://127.0.0.1:2379"] }',
);

/** What a configuration holds for an etcd cluster: every setting but `endpoints` is optional. */
export type EtcdProviderConfig = v.InferInput<typeof etcdSettings>;
/** Validated settings, defaults filled in: what `etcdKind.createProvider` and `etcdCapabilities` take. */
export type EtcdSettings = v.InferOutput<typeof etcdSettings>;

/** The list of client URLs: well-formed each, distinct, one scheme for all. */
function endpointsSetting() {
  return v.pipe(
    v.array(
      v.config(
        v.pipe(
          v.string(ENDPOINTS_EXPECTED),
          // The pattern also goes into the JSON Schema, for editors; the check adds the port range.
          v.regex(ENDPOINT_PATTERN, ENDPOINT_EXPECTED),
          v.check(
            (endpoint) => endpointProblem(endpoint) === undefined,
            (issue) => endpointProblem(issue.input) ?? '',
          ),
        ),
        { abortPipeEarly: true },
      ),
      ENDPOINTS_EXPECTED,
    ),
    v.minLength(1, ENDPOINTS_EXPECTED),
    v.rawCheck(({ dataset, addIssue }) => {
      // The list as a whole is judged once each endpoint is well-formed (else the scheme would be a guess).
      if (!dataset.typed || dataset.value.some((endpoint) => endpointProblem(endpoint) !== undefined)) return;
      const problem = endpointListProblem(dataset.value);
      if (problem === undefined) return;
      const endpoint = dataset.value[problem.index];
      addIssue({
        message: problem.expected,
        input: endpoint,
        path: [{ type: 'array', origin: 'value', input: dataset.value, key: problem.index, value: endpoint }],
      });
    }),
    v.description(
      'etcd client URLs, all http:// or all https://, each listed once. The provider creates and closes its own client.',
    ),
  );
}

/** The session lease TTL: whole seconds (etcd's unit), from etcd's minimum. */
function ttlSetting() {
  const expected = `a whole number of seconds in ms, at least ${ETCD_MIN_TTL_MS} (etcd lease TTLs are whole seconds, and etcd raises shorter ones without saying so)`;
  // One problem, one line: the checks share their words, so stop at the first that fails.
  return v.config(
    v.pipe(
      v.number(expected),
      v.integer(expected),
      v.minValue(ETCD_MIN_TTL_MS, expected),
      v.maxValue(MAX_TIMER_MS, expected),
      v.multipleOf(ETCD_TTL_STEP_MS, expected),
      v.description(
        'Session lease TTL in ms, whole seconds, at least 2000: the lease length of every lock of the provider, and how long a crashed holder blocks others.',
      ),
    ),
    { abortPipeEarly: true },
  );
}

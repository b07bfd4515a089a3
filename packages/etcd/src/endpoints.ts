/**
 * The rules for etcd client URLs, the one home of them: the settings schema calls these, and so every way of
 * configuring a provider (a `lock.config.json` entry, `createProvider`, the constructor) refuses the same
 * values in the same words.
 */

/** What one endpoint must be. */
export const ENDPOINT_EXPECTED = 'an http:// or https:// URL such as "http://127.0.0.1:2379"';
/** What the list must be. */
export const ENDPOINTS_EXPECTED = 'a non-empty array of URLs such as "http://127.0.0.1:2379"';

/** The shape of one endpoint: scheme, host (no IPv6 literal), optional port, optional trailing `/`. */
export const ENDPOINT_PATTERN = /^https?:\/\/[^\s/:]+(:[0-9]{1,5})?\/?$/;
const MAX_PORT = 65_535;

/** What is wrong with one endpoint, in the words of what was expected; `undefined` when it is fine. */
export function endpointProblem(endpoint: string): string | undefined {
  if (!ENDPOINT_PATTERN.test(endpoint)) return ENDPOINT_EXPECTED;
  const port = Number(withoutSlash(endpoint).split(':')[2] ?? '80');
  if (port < 1 || port > MAX_PORT) return `a URL with a port from 1 to ${MAX_PORT}`;
  return undefined;
}

/**
 * What is wrong with a list of well-formed endpoints as a whole: an endpoint listed twice (it would count
 * twice), or a scheme other than the first one's (etcd3 speaks either TLS or plain HTTP/2 to every endpoint
 * of a client). `index` is the first offending element.
 */
export function endpointListProblem(
  endpoints: readonly string[],
): { readonly index: number; readonly expected: string } | undefined {
  const seen = new Set<string>();
  const scheme = schemeOf(endpoints[0] ?? '');
  for (const [index, endpoint] of endpoints.entries()) {
    if (schemeOf(endpoint) !== scheme) {
      return {
        index,
        expected: `a ${scheme}:// URL like the first endpoint: one client speaks either TLS (https) or plain HTTP/2 (http) to every endpoint`,
      };
    }
    const normalized = withoutSlash(endpoint).toLowerCase();
    if (seen.has(normalized)) return { index, expected: 'an endpoint not already listed' };
    seen.add(normalized);
  }
  return undefined;
}

/** The endpoint as etcd3 is given it: without a trailing `/`. */
export function withoutSlash(endpoint: string): string {
  return endpoint.endsWith('/') ? endpoint.slice(0, -1) : endpoint;
}

function schemeOf(endpoint: string): string {
  return endpoint.slice(0, endpoint.indexOf(':')).toLowerCase();
}

import { InvalidArgumentError } from '@lock/core';

/** A Redis endpoint parsed from `redis://host:port` or `host:port`. */
export interface Endpoint {
  host: string;
  port: number;
  /** `host:port`, with `localhost` as `127.0.0.1`, for duplicate detection. */
  id: string;
  /** The text to hand ioredis (a URL). */
  url: string;
}

/** Parses an endpoint string; rejects anything else with an error naming `parameter`. */
export function parseEndpoint(text: unknown, parameter: string): Endpoint {
  if (typeof text !== 'string' || text.trim() === '')
    throw new InvalidArgumentError(parameter, text, 'a redis://host:port URL or host:port');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `redis://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(parameter, text, 'a redis://host:port URL or host:port');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new InvalidArgumentError(parameter, text, 'a redis:// or rediss:// URL');
  const port = url.port === '' ? 6379 : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new InvalidArgumentError(parameter, text, 'a URL with a host');
  const canonicalHost = host === 'localhost' ? '127.0.0.1' : host.toLowerCase();
  return { host, port, id: `${canonicalHost}:${port}`, url: url.toString() };
}

/**
 * Checks a Redlock instance list: non-empty, an odd number (an even N tolerates no more failures than N - 1),
 * and no endpoint twice (the same server counted twice fakes a majority).
 */
export function validateInstanceIds(ids: readonly string[], parameter: string): void {
  if (ids.length === 0)
    throw new InvalidArgumentError(parameter, ids, 'a non-empty list of independent Redis instances');
  if (ids.length % 2 === 0)
    throw new InvalidArgumentError(
      parameter,
      ids,
      `an odd number of instances (${ids.length} tolerates no more failures than ${ids.length - 1})`,
    );
  const seen = new Map<string, number>();
  ids.forEach((id, index) => {
    const first = seen.get(id);
    if (first !== undefined)
      throw new InvalidArgumentError(
        `${parameter}[${index}]`,
        id,
        `an instance not already listed (same as [${first}])`,
      );
    seen.set(id, index);
  });
}

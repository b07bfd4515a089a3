/** What is wrong with a connection URL, in the words of the settings, or undefined. @internal */
export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'a URL such as postgres://user@127.0.0.1:5432/db';
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return 'a URL starting with postgres:// or postgresql://';
  }
  return undefined;
}

/** The URL's `sslmode` query parameter (libpq's), lower-cased, or undefined. @internal */
export function sslModeOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('sslmode')?.toLowerCase() ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The URL without its TLS parameters (`ssl`, `sslmode`, `sslrootcert`, `sslcert`, `sslkey`): pg lets those
 * replace its whole `ssl` option, so when the settings give `ssl` the URL must not take it away again. @internal
 */
export function withoutSslParameters(url: string): string {
  try {
    const parsed = new URL(url);
    for (const key of [...parsed.searchParams.keys()]) {
      if (SSL_PARAMETERS.has(key.toLowerCase())) parsed.searchParams.delete(key);
    }
    return parsed.toString();
  } catch {
    return url;
  }
}

const SSL_PARAMETERS = new Set(['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey']);

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

/** The URL with any password replaced by `***`, for messages: a password is used, never shown. @internal */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (key.toLowerCase() === 'password') parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return '(a connection URL that does not parse)';
  }
}

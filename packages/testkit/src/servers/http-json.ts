import { request } from 'node:http';
import { request as requestTls } from 'node:https';

/** PEM material for an https:// request: the CA to trust and, for client-certificate auth, a certificate and key. */
export interface HttpJsonTls {
  readonly ca: string;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * One HTTP request to a loopback server, JSON body in and out, with a hard timeout.
 * Uses node:http rather than fetch so a paused (SIGSTOPped) server cannot hold a pooled socket hostage.
 */
export function httpJson(
  url: string,
  options: {
    method?: 'GET' | 'POST';
    body?: unknown;
    timeoutMs?: number;
    tls?: HttpJsonTls | undefined;
  } = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const secure = url.startsWith('https:');
    const req = (secure ? requestTls : request)(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        timeout: options.timeoutMs ?? 2_000,
        ...(secure ? { ca: options.tls?.ca, cert: options.tls?.cert, key: options.tls?.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text.length > 0 ? JSON.parse(text) : undefined });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${url} did not answer within ${options.timeoutMs ?? 2_000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

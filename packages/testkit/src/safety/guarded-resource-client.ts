import { Agent, request } from 'node:http';
import {
  deserializeState,
  type ReadMode,
  type ReadResult,
  type ResourceState,
  type SerializedResourceState,
  type WriteResult,
} from './guarded-resource.js';

/** Talks to a {@link GuardedResourceServer} over HTTP, from any process. */
export class GuardedResourceClient {
  readonly url: string;
  // One kept-alive connection per client: a critical section costs two requests, not two handshakes.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  /** @param url The resource's base URL, e.g. `http://127.0.0.1:PORT`. */
  constructor(url: string) {
    this.url = url.replace(/\/$/, '');
  }

  /**
   * The current counter value, read as an observer: no token, so the fence neither checks nor records
   * it. A critical section reads with {@link fencedRead} instead.
   */
  async read(): Promise<number> {
    return ((await this.call('GET', '/read')) as { value: number }).value;
  }

  /**
   * Reads the counter under `token` as `holder`; the resource applies its fencing rule to the read
   * (`mode: 'shared'` for a reader or a permit holder, see {@link ReadMode}).
   */
  async fencedRead(token: bigint, holder: string, mode?: ReadMode): Promise<ReadResult> {
    const body =
      mode === 'shared' ? { token: token.toString(), holder, mode } : { token: token.toString(), holder };
    return (await this.call('POST', '/read', body)) as ReadResult;
  }

  /** Writes `value` under `token` as `holder`; the resource applies its fencing rule. */
  async write(value: number, token: bigint, holder: string): Promise<WriteResult> {
    return (await this.call('POST', '/write', { value, token: token.toString(), holder })) as WriteResult;
  }

  /** The full state, including every write received. */
  async state(): Promise<ResourceState> {
    return deserializeState((await this.call('GET', '/state')) as SerializedResourceState);
  }

  /** Back to 0 with no tokens seen. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset', {});
  }

  /** Closes the kept-alive connection. */
  close(): void {
    this.agent.destroy();
  }

  private call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${this.url}${path}`,
        {
          method,
          agent: this.agent,
          headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new Error(`guarded resource ${method} ${path} answered ${res.statusCode}: ${text}`));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch (error) {
              reject(error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

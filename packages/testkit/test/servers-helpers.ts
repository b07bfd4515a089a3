import { request } from 'node:http';

export type { EtcdCluster } from '../src/index.js';
export { startEtcd } from '../src/index.js';

/** POSTs JSON to the etcd gateway; tests only. */
export function httpJsonForTests(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

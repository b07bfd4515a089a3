import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

// A server that is down, or that accepts and never answers, is a backend error (exit 69), never a lock held by
// someone else (exit 75), and never a stack trace.
const dir = mkdtempSync(join(tmpdir(), 'lock-cli-down-'));
let silent: Server;
const sockets = new Set<Socket>();
let silentPort: number;

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, backend: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({ backends: { remote: backend }, policies: { '*': { scope: 'cluster' } } }),
  );
  return path;
}

function expectBackendError(result: { code: number | null; stderr: string }, backend: RegExp): void {
  expect(result.code, result.stderr).toBe(69);
  expect(result.stderr).toMatch(backend);
  expect(result.stderr).not.toMatch(/Timed out .* waiting for lock/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('lock run and lock status against a server that is not there', () => {
  it('redis on a closed port', async () => {
    const config = writeConfig('redis-closed.json', {
      kind: 'redis',
      url: `redis://127.0.0.1:${await freePort()}`,
      commandTimeoutMs: 1_000,
    });
    const result = await runCli(['run', 'x', '--timeout', '1000', '--config', config, '--', 'true'], {
      cwd: dir,
    });
    expectBackendError(result, /redis acquire failed.*ECONNREFUSED/s);
  }, 30_000);

  it('redis on a port that accepts and never answers', async () => {
    const config = writeConfig('redis-silent.json', {
      kind: 'redis',
      url: `redis://127.0.0.1:${silentPort}`,
      commandTimeoutMs: 1_000,
    });
    const result = await runCli(['run', 'x', '--timeout', '1000', '--config', config, '--', 'true'], {
      cwd: dir,
    });
    expectBackendError(result, /redis acquire failed.*never answered/s);
  }, 30_000);

  it('zookeeper on a closed port', async () => {
    const config = writeConfig('zk-closed.json', {
      kind: 'zk',
      connectionString: `127.0.0.1:${await freePort()}`,
    });
    const result = await runCli(['run', 'x', '--timeout', '1000', '--config', config, '--', 'true'], {
      cwd: dir,
    });
    expectBackendError(result, /zk connect failed.*no connection to 127\.0\.0\.1:\d+ within/s);
  }, 30_000);

  it('lock status against etcd on a closed port', async () => {
    const config = writeConfig('etcd-closed.json', {
      kind: 'etcd',
      endpoints: [`http://127.0.0.1:${await freePort()}`],
      requestTimeoutMs: 1_000,
    });
    const result = await runCli(['status', 'x', '--config', config, '--timeout', '5000'], { cwd: dir });
    expectBackendError(result, /etcd status failed/);
  }, 30_000);
});

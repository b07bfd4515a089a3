import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INSTALL_COMMAND, MissingBinaryError, requireBinary, startRedis } from '../src/index.js';
import { isAlive } from './pid-assertions.js';

describe('missing binaries', () => {
  it('fail with the install command, never a skip', async () => {
    expect(() => requireBinary('no-such-server-binary')).toThrow(INSTALL_COMMAND);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const error = await startRedis().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MissingBinaryError);
      expect(MissingBinaryError.isInstance(error)).toBe(true);
      expect(MissingBinaryError.isInstance(new Error('redis-server'))).toBe(false);
      expect((error as Error).message).toContain(
        'apt-get update && apt-get install -y redis-server etcd-server etcd-client zookeeper postgresql',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('reaper', () => {
  it('kills the servers of a parent that died from SIGKILL', async () => {
    // The parent runs the built library, as a user's test process would.
    const library = pathToFileURL(new URL('../dist/index.js', import.meta.url).pathname).href;
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { startRedis } from ${JSON.stringify(library)};
         const redis = await startRedis();
         process.stdout.write(redis.pid + ' ' + redis.dir + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [redisPid, redisDir] = await new Promise<[number, string]>((resolve, reject) => {
      parent.stdout.setEncoding('utf8');
      parent.stdout.once('data', (line: string) => {
        const [pid, dir] = line.trim().split(' ');
        resolve([Number(pid), dir!]);
      });
      parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    expect(isAlive(redisPid)).toBe(true);
    parent.kill('SIGKILL');
    // The reaper polls every 500 ms.
    for (let waitedMs = 0; isAlive(redisPid) && waitedMs < 5_000; waitedMs += 100) await sleep(100);
    expect(isAlive(redisPid)).toBe(false);
    // The reaper removes the temp directory after the kill; give it its own poll to finish.
    for (let waitedMs = 0; existsSync(redisDir) && waitedMs < 2_000; waitedMs += 100) await sleep(100);
    expect(existsSync(redisDir)).toBe(false);
  });

  it('kills the servers of a parent that exits normally', async () => {
    const library = pathToFileURL(new URL('../dist/index.js', import.meta.url).pathname).href;
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { startRedis } from ${JSON.stringify(library)};
         const redis = await startRedis();
         process.stdout.write(redis.pid + ' ' + redis.dir + '\\n');
         process.exit(0);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    parent.stdout.setEncoding('utf8');
    parent.stdout.on('data', (chunk: string) => (output += chunk));
    await new Promise((resolve) => parent.once('exit', resolve));
    const [pidText, redisDir] = output.trim().split(' ');
    const redisPid = Number(pidText);
    expect(existsSync(redisDir!)).toBe(false);
    expect(redisPid).toBeGreaterThan(0);
    // The 'exit' handler kills synchronously, but the kernel may take a moment to reap.
    for (let waitedMs = 0; isAlive(redisPid) && waitedMs < 2_000; waitedMs += 50) await sleep(50);
    expect(isAlive(redisPid)).toBe(false);
  });
});

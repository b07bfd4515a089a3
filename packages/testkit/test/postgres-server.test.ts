import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgres } from '../src/index.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startPostgres', () => {
  it('runs initdb and postgres on a loopback port, owned by PID; restart keeps the data directory', {
    timeout: 60_000,
  }, async () => {
    const server = await startPostgres();
    try {
      expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
      // The PID is the postmaster's own (not a runuser wrapper's): it is the one postmaster.pid names.
      const pidFile = readFileSync(join(server.dir, 'data', 'postmaster.pid'), 'utf8').split('\n');
      expect(Number(pidFile[0])).toBe(server.pid);
      expect(await accepts(server.port)).toBe(true);
      const before = server.pid;
      await server.restart();
      expect(server.pid).not.toBe(before);
      expect(await accepts(server.port)).toBe(true);
    } finally {
      await server.close();
    }
    expect(existsSync(server.dir)).toBe(false);
    expect(server.running).toBe(false);
  });

  it('finds initdb and postgres (on PATH or under /usr/lib/postgresql)', () => {
    expect(existsSync(join(postgresBinDir(), 'initdb'))).toBe(true);
  });
});

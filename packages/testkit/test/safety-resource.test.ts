import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GuardedResourceClient,
  GuardedResourceServer,
  HistoryWriter,
  parseEvent,
  parseHistory,
  readHistory,
  serializeEvent,
  startGuardedResource,
} from '../src/index.js';
import { expectAllGone } from './pid-assertions.js';

const dir = mkdtempSync(join(tmpdir(), 'lock-testkit-test-'));
const spawned = new Set<number>();

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  expectAllGone(spawned);
});

describe('GuardedResourceServer', () => {
  it('applies the fencing rule: newer token, or the same token from the same holder', () => {
    const resource = new GuardedResourceServer();
    expect(resource.write(1, 5n, 'a').accepted).toBe(true);
    expect(resource.write(2, 5n, 'a').accepted).toBe(true);
    expect(resource.write(3, 5n, 'b')).toEqual({ accepted: false, reason: 'token 5 already used by a' });
    expect(resource.write(3, 4n, 'c')).toEqual({ accepted: false, reason: 'stale token 4 < 5' });
    expect(resource.write(3, 6n, 'c').accepted).toBe(true);
    const state = resource.state();
    expect(state.value).toBe(3);
    expect(state.maxSeen).toBe(6n);
    expect(state.maxHolder).toBe('c');
    expect(state.writes.map((write) => write.accepted)).toEqual([true, true, false, false, true]);
    expect(state.writes.every((write) => typeof write.t === 'bigint')).toBe(true);
  });

  it('compares tokens beyond 2^53 exactly', () => {
    const resource = new GuardedResourceServer();
    const big = 2n ** 64n;
    expect(resource.write(1, big + 1n, 'a').accepted).toBe(true);
    expect(resource.write(2, big, 'b').accepted).toBe(false);
  });

  it('accepts everything with fencing off (the mutant)', () => {
    const resource = new GuardedResourceServer({ fencing: 'off' });
    expect(resource.write(1, 5n, 'a').accepted).toBe(true);
    expect(resource.write(2, 1n, 'b').accepted).toBe(true);
    expect(resource.write(3, 1n, 'c').accepted).toBe(true);
    expect(resource.state().value).toBe(3);
  });
});

describe('startGuardedResource', () => {
  it('serves the resource from a child process over loopback HTTP', async () => {
    const resource = await startGuardedResource();
    spawned.add(resource.pid);
    try {
      expect(resource.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new GuardedResourceClient(resource.url);
      try {
        expect(await client.read()).toBe(0);
        expect(await client.write(1, 10n, 'p0')).toEqual({ accepted: true });
        expect((await client.write(2, 9n, 'p1')).accepted).toBe(false);
        const state = await resource.state();
        expect(state.value).toBe(1);
        expect(state.maxSeen).toBe(10n);
        expect(state.writes).toHaveLength(2);
        await client.reset();
        expect((await client.state()).writes).toEqual([]);
      } finally {
        client.close();
      }
    } finally {
      await resource.close();
    }
  });

  it('rejects malformed writes with a clear error', async () => {
    const server = new GuardedResourceServer();
    const url = await server.listen();
    try {
      const response = await fetch(`${url}/write`, {
        method: 'POST',
        body: JSON.stringify({ value: 1, token: 1.5, holder: 'a' }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('token must be a decimal string');
    } finally {
      await server.close();
    }
  });

  it('runs with fencing off', async () => {
    const resource = await startGuardedResource({ fencing: 'off' });
    spawned.add(resource.pid);
    try {
      await resource.client.write(1, 5n, 'a');
      expect((await resource.client.write(2, 1n, 'b')).accepted).toBe(true);
      expect((await resource.state()).fencing).toBe('off');
    } finally {
      await resource.close();
    }
  });
});

describe('history', () => {
  it('writes NDJSON with bigints as decimal strings and reads it back', () => {
    const file = join(dir, 'one.ndjson');
    const writer = new HistoryWriter(file, 3);
    const invoke = writer.record('invoke', 'acquire');
    const ok = writer.record('ok', 'acquire', { token: 2n ** 63n });
    const line = readFileSync(file, 'utf8').split('\n')[1]!;
    expect(JSON.parse(line)).toMatchObject({
      proc: 3,
      type: 'ok',
      f: 'acquire',
      token: '9223372036854775808',
    });
    expect(typeof JSON.parse(line).t).toBe('string');
    expect(readHistory(file)).toEqual([invoke, ok]);
    expect(ok.t).toBeGreaterThanOrEqual(invoke.t);
    expect(parseEvent(serializeEvent(ok))).toEqual(ok);
  });

  it('merges a directory in time order and drops a torn last line', () => {
    const sub = mkdtempSync(join(dir, 'merge-'));
    writeFileSync(join(sub, 'a.ndjson'), '{"proc":0,"type":"invoke","f":"read","t":"30"}\n');
    writeFileSync(
      join(sub, 'b.ndjson'),
      '{"proc":1,"type":"invoke","f":"read","t":"10"}\n{"proc":1,"type":"ok","f":"read","value":4,"t":"20"}\n{"proc":1,"ty',
    );
    expect(readHistory(sub).map((event) => event.t)).toEqual([10n, 20n, 30n]);
    expect(() => parseHistory('{"bad"\n{"proc":1,"type":"ok","f":"read","t":"1"}\n')).toThrow();
  });
});

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLOCK_SCALE, LockFile, mintToken, PID_OFFSET, readHeader } from '../src/internal.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('tokens');
afterAll(() => directory.cleanup());

describe('fencing tokens', () => {
  it('strictly increase per name across processes, and the file says who minted the last one', async () => {
    const provider = makeProvider(directory.path);
    const child = await LockChild.start(directory.path);
    const tokens: bigint[] = [];
    for (let round = 0; round < 5; round++) {
      const ours = await provider.lock('shared').acquire();
      tokens.push(ours.token);
      await ours.release();
      tokens.push(BigInt((await child.acquire('shared')).token!));
      const file = LockFile.open(provider.pathOf('shared'));
      expect(readHeader(file)).toEqual({ token: tokens.at(-1), pid: child.pid });
      file.close();
      await child.release('shared');
    }
    expect(tokens.every((token, index) => index === 0 || token > tokens[index - 1]!)).toBe(true);
    await child.kill();
    await provider.close();
  });

  it('a "reboot" (the directory emptied): the next holder still gets a greater token', async () => {
    const provider = makeProvider(directory.path);
    const before = await provider.lock('reboot').acquire();
    await before.release();
    await provider.close();
    rmSync(directory.path, { recursive: true });
    // A new process, as after a boot: nothing of the old counter is left anywhere.
    const child = await LockChild.start(directory.path);
    const after = BigInt((await child.acquire('reboot')).token!);
    expect(after).toBeGreaterThan(before.token);
    await child.kill();
  });

  it('a new counter starts at the next millisecond x 1024; then +1, or the clock when it is ahead', () => {
    const path = join(directory.path, 'counter.lock');
    writeFileSync(path, '');
    const file = LockFile.open(path);
    const buffer = Buffer.alloc(16);
    const nowMs = 1_800_000_000_000;
    const scale = CLOCK_SCALE;
    expect(mintToken(file, buffer, 0n, nowMs)).toBe(BigInt(nowMs + 1) * scale);
    expect(mintToken(file, buffer, 0n, nowMs)).toBe(BigInt(nowMs + 1) * scale + 1n);
    // The clock stepped back: the counter goes on.
    expect(mintToken(file, buffer, 0n, nowMs - 60_000)).toBe(BigInt(nowMs + 1) * scale + 2n);
    // The clock is ahead of the counter (a write was lost in a crash, say): the clock wins.
    expect(mintToken(file, buffer, 0n, nowMs + 5)).toBe(BigInt(nowMs + 5) * scale);
    // A floor from the caller (its own last token for the name) wins over both.
    expect(mintToken(file, buffer, BigInt(nowMs + 9) * scale, nowMs + 5)).toBe(BigInt(nowMs + 9) * scale);
    expect(readHeader(file)).toEqual({ token: BigInt(nowMs + 9) * scale, pid: process.pid });
    file.close();
  });

  it('refuses a counter at the end of the 63-bit range (not a lock file of this package)', () => {
    const path = join(directory.path, 'foreign.lock');
    const bytes = Buffer.alloc(PID_OFFSET);
    bytes.writeBigUInt64LE((1n << 63n) - 1n);
    writeFileSync(path, bytes);
    const file = LockFile.open(path);
    expect(() => mintToken(file, Buffer.alloc(16))).toThrow(/end of the 63-bit range/);
    file.close();
  });
});

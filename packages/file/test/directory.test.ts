import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockBackendError } from '@lock/core';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultLockDirectory, FileProvider, LockDirectoryProblem } from '../src/index.js';
import { lockDirectory } from './support.js';

const scratch = lockDirectory('directory');
mkdirSync(scratch.path, { mode: 0o700 });
afterAll(() => scratch.cleanup());
const isRoot = process.getuid?.() === 0;

/** The refusal an acquisition in `directory` rejects with: a LockBackendError whose cause is the problem. */
async function refusal(directory: string): Promise<LockDirectoryProblem> {
  const provider = new FileProvider({ directory });
  try {
    const error = await provider
      .lock('x')
      .acquire()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(LockBackendError.isInstance(error)).toBe(true);
    const problem = (error as LockBackendError).cause;
    expect(problem).toBeInstanceOf(LockDirectoryProblem);
    // The message names the path and the fix; status and describe refuse alike.
    expect((error as Error).message).toContain(directory);
    expect((error as Error).message).toContain('"directory"');
    expect(LockBackendError.isInstance(await provider.status('x').catch((caught: unknown) => caught))).toBe(
      true,
    );
    expect(LockBackendError.isInstance(await provider.describe().catch((caught: unknown) => caught))).toBe(
      true,
    );
    return problem as LockDirectoryProblem;
  } finally {
    await provider.close();
  }
}

describe('the lock directory', () => {
  it('defaults to $XDG_RUNTIME_DIR/lock when that is a directory of ours, else <tmpdir>/lock-<uid>', () => {
    const uid = process.getuid?.();
    const fallback = join(tmpdir(), uid === undefined ? 'lock' : `lock-${uid}`);
    expect(defaultLockDirectory({ XDG_RUNTIME_DIR: scratch.path })).toBe(join(scratch.path, 'lock'));
    expect(defaultLockDirectory({})).toBe(fallback);
    expect(defaultLockDirectory({ XDG_RUNTIME_DIR: 'relative/dir' })).toBe(fallback);
    expect(defaultLockDirectory({ XDG_RUNTIME_DIR: join(scratch.path, 'missing') })).toBe(fallback);
    expect(new FileProvider().directory).toBe(defaultLockDirectory());
  });

  it.runIf(isRoot)(
    "ignores a runtime directory that belongs to someone else (sudo keeps the caller's)",
    () => {
      const foreign = join(scratch.path, 'foreign-runtime');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 65534, 65534);
      expect(defaultLockDirectory({ XDG_RUNTIME_DIR: foreign })).not.toContain(foreign);
    },
  );

  it('is created on first use with mode 0700, parents included', async () => {
    const path = join(scratch.path, 'made', 'here');
    const provider = new FileProvider({ directory: path });
    await (await provider.lock('x').acquire()).release();
    expect(statSync(path).mode & 0o777).toBe(0o700);
    await provider.close();
  });

  it('refuses a symbolic link, naming where it points', async () => {
    const target = join(scratch.path, 'link-target');
    mkdirSync(target, { mode: 0o700 });
    const link = join(scratch.path, 'link');
    symlinkSync(target, link);
    const problem = await refusal(link);
    expect(problem.problem).toBe('symlink');
    expect(problem.message).toContain(JSON.stringify(target));
  });

  it('refuses a path that is not a directory', async () => {
    const file = join(scratch.path, 'a-file');
    writeFileSync(file, '');
    expect((await refusal(file)).problem).toBe('not-a-directory');
  });

  it('refuses a directory whose parent is a file (it cannot be created)', async () => {
    const file = join(scratch.path, 'parent-file');
    writeFileSync(file, '');
    expect((await refusal(join(file, 'locks'))).problem).toBe('cannot-create');
  });

  it('refuses a directory writable by its group or by others, and says how to fix it', async () => {
    for (const mode of [0o770, 0o707, 0o777]) {
      const path = join(scratch.path, `mode-${mode.toString(8)}`);
      mkdirSync(path);
      chmodSync(path, mode);
      const problem = await refusal(path);
      expect(problem.problem).toBe('group-or-other-writable');
      expect(problem.fix).toContain(`chmod 700 ${path}`);
    }
  });

  it.runIf(isRoot)('refuses a directory owned by another user (chown nobody)', async () => {
    const path = join(scratch.path, 'owned-by-nobody');
    mkdirSync(path, { mode: 0o700 });
    chownSync(path, 65534, 65534);
    const problem = await refusal(path);
    expect(problem.problem).toBe('foreign-owner');
    expect(problem.message).toContain('uid 65534');
  });

  it.runIf(isRoot)('refuses a directory it cannot write (immutable), and accepts it once fixed', async () => {
    const path = join(scratch.path, 'immutable');
    mkdirSync(path, { mode: 0o700 });
    execFileSync('chattr', ['+i', path]);
    try {
      expect((await refusal(path)).problem).toBe('not-writable');
    } finally {
      execFileSync('chattr', ['-i', path]);
    }
    // Nothing of the refusal is remembered: the next try checks again.
    const provider = new FileProvider({ directory: path });
    await (await provider.lock('x').acquire()).release();
    await provider.close();
  });
});

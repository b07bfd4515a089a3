import { CLOCK_SCALE, HEADER_SIZE, MAX_TOKEN, PID_OFFSET } from '../lock-file/lock-file-header.js';

/**
 * The program of a kernel waiter process, run as `node -e WAITER_SCRIPT <fs-native-extensions path>` with the
 * name's lock file as its descriptor 3 and its turnstile file as descriptor 4 (inherited: the same open file
 * descriptions as its parent's).
 *
 * On `{ type: 'wait', exclusive, lock, atLeast, pid }` it waits in the kernel for the exclusive lock on the
 * turnstile, then, with `lock`, for the lock on descriptor 3 in the asked mode while keeping the turnstile
 * (retrying after a signal), and answers `{ type: 'granted', token? }`: the grants then belong to the open
 * file descriptions it shares with its parent, so the parent holds them. Errors are answered as
 * `{ type: 'error', code, message }`.
 *
 * With `lock` it gives the turnstile back itself before it answers, so the turnstile is never held for the
 * time a message takes (under load, a turnstile held across a round trip made every reader queue behind the
 * last one). A shared grant's token must be minted under the turnstile, so for one it mints first, exactly as
 * `mintToken` does (the stored token plus one, or the clock in ms x CLOCK_SCALE, at least `atLeast`, written
 * with `pid`), and answers the token. Without `lock` (the parent's readers hold) it keeps the turnstile: the
 * parent mints and gives it back. It reads and writes nothing but the lock file's header.
 *
 * The kernel waits run on the waiter's own thread pool, so its main thread stays free to see its parent go
 * (the IPC channel closes) and end itself at once with SIGKILL, which no blocked thread can hold up. An
 * orphan must not stay blocked: holding the turnstile, it would keep holding back every later reader.
 * Should a grant reach it after its parent went, the same exit frees it (its descriptors were the last).
 * (With `main-thread` as its second argument it blocks its main thread instead: the broken variant of the
 * test that shows why, see `WaiterWaits`.)
 */
export const WAITER_SCRIPT = `'use strict';
let extensions;
try { extensions = require(process.argv[1]); } catch (error) { fail(error); }
function end() { process.kill(process.pid, 'SIGKILL'); }
function fail(error) {
  const reply = { type: 'error', code: error && error.code, message: String(error && error.message) };
  process.send(reply, (sendError) => { if (sendError) end(); });
}
const fs = require('node:fs');
function mint(atLeast, pid) {
  const buffer = Buffer.alloc(${HEADER_SIZE});
  const bytes = fs.readSync(3, buffer, 0, ${PID_OFFSET}, 0);
  const stored = bytes === ${PID_OFFSET} ? buffer.readBigUInt64LE(0) : undefined;
  const now = BigInt(Date.now());
  const fromClock = (stored === undefined ? now + 1n : now) * ${CLOCK_SCALE}n;
  let token = stored === undefined || stored + 1n <= fromClock ? fromClock : stored + 1n;
  if (token < atLeast) token = atLeast;
  if (token > ${MAX_TOKEN}n) throw Object.assign(new Error('the lock file holds a token at the end of the 63-bit range; it is not a lock file of this package (remove it)'), { code: 'ERANGE' });
  buffer.writeBigUInt64LE(token, 0);
  buffer.writeUInt32LE(pid >>> 0, ${PID_OFFSET});
  fs.writeSync(3, buffer, 0, ${HEADER_SIZE}, 0);
  return token;
}
async function wait(fd, shared) {
  for (;;) {
    try {
      if (process.argv[2] === 'main-thread') extensions.waitForLockSync(fd, 0, 0, { shared });
      else await extensions.waitForLock(fd, 0, 0, { shared });
      return true;
    }
    catch (error) { if (error && error.code === 'EINTR') continue; fail(error); return false; }
  }
}
process.on('disconnect', end);
process.on('message', async (message) => {
  if (message === null || message.type !== 'wait' || extensions === undefined) return;
  if (!(await wait(4, false))) return;
  let token;
  if (message.lock === true) {
    if (!(await wait(3, message.exclusive !== true))) return;
    try {
      if (message.exclusive !== true) token = String(mint(BigInt(message.atLeast), message.pid));
      extensions.unlock(4, 0, 0);
    } catch (error) { fail(error); return; }
  }
  process.send({ type: 'granted', token }, (sendError) => { if (sendError) end(); });
});`;

/** What a kernel waiter process answers. @internal */
export type WaiterReply =
  | { readonly type: 'granted'; readonly token?: string | undefined }
  | { readonly type: 'error'; readonly code: string | undefined; readonly message: string };

/**
 * The program of a kernel waiter process, run as `node -e WAITER_SCRIPT <fs-native-extensions path>` with the
 * name's lock file as its descriptor 3 and its turnstile file as descriptor 4 (inherited: the same open file
 * descriptions as its parent's).
 *
 * On `{ type: 'wait', exclusive, lock }` it blocks in the kernel for the exclusive lock on the turnstile, then,
 * with `lock`, for the lock on descriptor 3 in the asked mode while keeping the turnstile (retrying after a
 * signal), and answers `{ type: 'granted' }`: the grants then belong to the open file descriptions it shares
 * with its parent, so the parent holds them (and gives the turnstile back). Errors are answered as `{ type: 'error', code, message }`.
 * It exits when its parent goes away; if it is granted a lock after that, it exits at once (closing the last
 * descriptor frees the lock), so an orphan never holds a lock for work. It reads nothing else and writes
 * nothing else.
 */
export const WAITER_SCRIPT = `'use strict';
let extensions;
try { extensions = require(process.argv[1]); } catch (error) { fail(error); }
function fail(error) {
  const reply = { type: 'error', code: error && error.code, message: String(error && error.message) };
  process.send(reply, (sendError) => { if (sendError) process.exit(0); });
}
function wait(fd, shared) {
  for (;;) {
    try { extensions.waitForLockSync(fd, 0, 0, { shared }); return true; }
    catch (error) { if (error && error.code === 'EINTR') continue; fail(error); return false; }
  }
}
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message === null || message.type !== 'wait' || extensions === undefined) return;
  if (!wait(4, false)) return;
  if (message.lock === true && !wait(3, message.exclusive !== true)) return;
  process.send({ type: 'granted' }, (sendError) => { if (sendError) process.exit(0); });
});`;

/** What a kernel waiter process answers. @internal */
export type WaiterReply =
  | { readonly type: 'granted' }
  | { readonly type: 'error'; readonly code: string | undefined; readonly message: string };

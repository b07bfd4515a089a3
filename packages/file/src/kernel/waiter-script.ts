/**
 * The program of a kernel waiter process, run as `node -e WAITER_SCRIPT <fs-native-extensions path>` with the
 * name's lock file as its descriptor 3 (inherited: the same open file description as its parent's).
 *
 * On `{ type: 'wait', exclusive }` it blocks in the kernel for the lock on descriptor 3 (retrying after a
 * signal) and answers `{ type: 'granted' }`: the grant then belongs to the open file description it shares
 * with its parent, so the parent holds the lock. Errors are answered as `{ type: 'error', code, message }`.
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
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message === null || message.type !== 'wait' || extensions === undefined) return;
  for (;;) {
    try { extensions.waitForLockSync(3, 0, 0, { shared: message.exclusive !== true }); break; }
    catch (error) { if (error && error.code === 'EINTR') continue; fail(error); return; }
  }
  process.send({ type: 'granted' }, (sendError) => { if (sendError) process.exit(0); });
});`;

/** What a kernel waiter process answers. @internal */
export type WaiterReply =
  | { readonly type: 'granted' }
  | { readonly type: 'error'; readonly code: string | undefined; readonly message: string };

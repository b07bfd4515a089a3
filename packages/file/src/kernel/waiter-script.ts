/**
 * The program of a kernel waiter process, run as `node -e WAITER_SCRIPT <fs-native-extensions path>` with the
 * name's lock file as its descriptor 3 and its turnstile file as descriptor 4 (inherited: the same open file
 * descriptions as its parent's).
 *
 * On `{ type: 'wait', exclusive, lock }` it waits in the kernel for the exclusive lock on the turnstile, then,
 * with `lock`, for the lock on descriptor 3 in the asked mode while keeping the turnstile (retrying after a
 * signal), and answers `{ type: 'granted' }`: the grants then belong to the open file descriptions it shares
 * with its parent, so the parent holds them (and gives the turnstile back). Errors are answered as
 * `{ type: 'error', code, message }`. It reads nothing else and writes nothing else.
 *
 * The kernel waits run on the waiter's own thread pool, so its main thread stays free to see its parent go
 * (the IPC channel closes) and end itself at once with SIGKILL, which no blocked thread can hold up. An
 * orphan must not stay blocked: holding the turnstile, it would keep holding back every later reader.
 * Should a grant reach it after its parent went, the same exit frees it (its descriptors were the last).
 */
export const WAITER_SCRIPT = `'use strict';
let extensions;
try { extensions = require(process.argv[1]); } catch (error) { fail(error); }
function end() { process.kill(process.pid, 'SIGKILL'); }
function fail(error) {
  const reply = { type: 'error', code: error && error.code, message: String(error && error.message) };
  process.send(reply, (sendError) => { if (sendError) end(); });
}
async function wait(fd, shared) {
  for (;;) {
    try { await extensions.waitForLock(fd, 0, 0, { shared }); return true; }
    catch (error) { if (error && error.code === 'EINTR') continue; fail(error); return false; }
  }
}
process.on('disconnect', end);
process.on('message', async (message) => {
  if (message === null || message.type !== 'wait' || extensions === undefined) return;
  if (!(await wait(4, false))) return;
  if (message.lock === true && !(await wait(3, message.exclusive !== true))) return;
  process.send({ type: 'granted' }, (sendError) => { if (sendError) end(); });
});`;

/** What a kernel waiter process answers. @internal */
export type WaiterReply =
  | { readonly type: 'granted' }
  | { readonly type: 'error'; readonly code: string | undefined; readonly message: string };

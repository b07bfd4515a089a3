import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import { waiterLost } from './waiter-lost.js';
import type { KeyWatchOptions } from './watch-stream.js';

/** Interval of a waiter's fallback read while it watches its predecessor. */
const FALLBACK_CHECK_MS = 1_000;
/** The same while etcd has not confirmed the watch (its stream may sit on a member that stopped answering). */
const UNCONFIRMED_WATCH_CHECK_MS = 200;
/** Pause before looking again after a broken watch, so a failing stream is not reopened in a hot loop. */
const BROKEN_WATCH_PAUSE_MS = 50;

/**
 * Waits for a watch's event (a key's or a range's deletion, or with `changes` any change), or until
 * `changed()` (asked once the watch exists and then by the bounded fallback) answers true or fails. Rejects
 * when `signal` aborts or the session ends; a broken watch resolves so the caller looks again (never a silent
 * hang). A lock's waiter watches the key before it (`waitForDelete`); a semaphore's first waiter its name's
 * whole range for deletions, a later one the waiter before it for any change (its grant is announced by a put).
 *
 * The watch starts at the current revision, not at the revision of the read that found the key: etcd
 * delivers events to such "synced" watchers as they happen, while a watch from an older revision waits for
 * a catch-up loop that runs every 100 ms, which would add up to 100 ms to a handoff under contention. So
 * once the watch exists, `changed()` checks that nothing happened in between.
 * @internal
 */
export function waitForChange(
  context: LockContext,
  session: EtcdSession,
  watch: { readonly key: Buffer } & KeyWatchOptions,
  changed: () => Promise<boolean>,
  signal: AbortSignal,
): Promise<void> {
  const { backend } = context;
  const { stats } = backend;
  // An abort that fired during the previous request: 'abort' listeners added now would never run.
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let connected = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      stopSession();
      cancelWatch();
      outcome();
    };
    const checkGone = () => {
      changed().then(
        (yes) => {
          if (settled || !yes) return;
          stats.fallbackWakeups += 1;
          finish(resolve);
        },
        () => finish(resolve),
      );
    };
    // A watch stream on a member that stopped answering delivers nothing until the stream's probe gives it
    // up: a bounded fallback read turns a lost event into a late wake-up instead of a stalled queue. It runs
    // every second once the watch exists, and more often while the watch has not been confirmed.
    const scheduleFallback = () => {
      timer = setTimeout(
        () => {
          checkGone();
          if (!settled) scheduleFallback();
        },
        connected ? FALLBACK_CHECK_MS : UNCONFIRMED_WATCH_CHECK_MS,
      );
    };
    const cancelWatch = backend.watches.watch(
      watch.key,
      {
        connected: () => {
          connected = true;
          checkGone();
        },
        deleted: () => {
          if (settled) return;
          stats.watchEvents += 1;
          stats.wakeups += 1;
          finish(resolve);
        },
        broken: () => {
          if (settled) return;
          clearTimeout(timer);
          timer = setTimeout(() => finish(resolve), BROKEN_WATCH_PAUSE_MS);
        },
      },
      watch,
    );
    scheduleFallback();
    const onAbort = () => finish(() => reject(signal.reason));
    const stopSession = session.onLost((_reason, cause) =>
      finish(() => reject(waiterLost(context.name, session, cause))),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

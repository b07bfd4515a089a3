import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
  /** Names what is awaited in the timeout error. */
  description: string;
  /** Extra text for the timeout error, e.g. the tail of a server log. Called only on timeout. */
  detail?: () => string;
  /** Stops waiting early with this error, e.g. when the server process has exited. */
  abortWith?: () => Error | undefined;
}

/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, and returns that value.
 * A probe that throws counts as "not yet": servers refuse connections until they are up.
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false>,
  options: WaitUntilOptions,
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const abortError = options.abortWith?.();
    if (abortError !== undefined) throw abortError;
    try {
      const result = await probe();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const detail = options.detail?.() ?? '';
      throw new Error(
        `Timed out after ${options.timeoutMs} ms waiting for ${options.description}${cause}` +
          (detail ? `\n${detail}` : ''),
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}

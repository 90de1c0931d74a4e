/**
 * The one way the tests wait for something that happens asynchronously (a log line, a mail, a
 * failover): poll a check until it passes, with a deadline, never a fixed sleep. A fixed sleep is
 * either too short on a loaded machine or wasted time on an idle one; a deadline only costs time
 * when the test is failing.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** How long to keep trying (default 10 s: generous on a loaded machine, short for a failing test). */
  timeoutMs?: number;
  /** The pause between attempts (default 50 ms). */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than `undefined`, `null` or `false`, and
 * resolves with that; an attempt that throws (an `expect` that does not hold yet, a refused
 * connection) counts as not yet. Past the deadline it rejects with `waiting for <what>` and the
 * last attempt's error, so the failure names what never happened.
 */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50 }: EventuallyOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  // performance.now(), not Date.now(): a spec that fakes the clock's date still gets a deadline.
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const last =
        lastError === undefined ? '' : `; the last attempt failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}${last}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

import { jest } from '@jest/globals';

/*
 * For races made to happen in the in-process tier: a gate that holds code of the app in flight
 * until the spec opens it, and a clock (Date only) the spec moves instead of waiting.
 */

/** A promise the spec resolves (open), plus one that says the held code has reached it (reached). */
export function gate() {
  let open!: () => void;
  let arrived!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  return { open, reached, wait: () => (arrived(), opened) };
}

/**
 * Sets the app's clock (Date) `ms` from now, without waiting; timers and the sockets' own timing
 * stay real. Undo with `jest.useRealTimers()`.
 */
export function advanceClock(ms: number): void {
  const now = Date.now();
  jest.useFakeTimers({
    now: now + ms,
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
}

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HashingBusyException, HashingPool } from './hashing-pool.js';

/** A hash that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, work: () => opened };
}

const flush = () => new Promise<void>((resolve) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(resolve));

describe('HashingPool', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs at most `width` at once and starts the next as one finishes', async () => {
    const pool = new HashingPool(2, 10, 2_000);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      pool.run(() => {
        started.push(i);
        return g.work();
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    gates[0].open();
    await runs[0];
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[1].open();
    gates[2].open();
    await Promise.all(runs);
  });

  it('answers 503 at once when the queue is full', async () => {
    const pool = new HashingPool(1, 1, 2_000);
    const held = gate();
    const first = pool.run(held.work);
    expect(pool.full).toBe(false);
    const queued = pool.run(async () => 'queued');
    expect(pool.full).toBe(true);
    await expect(pool.run(async () => 'refused')).rejects.toBeInstanceOf(HashingBusyException);
    held.open();
    await first;
    await expect(queued).resolves.toBe('queued');
  });

  it('answers 503 to a request that waited past the deadline, and never runs its hash', async () => {
    const pool = new HashingPool(1, 10, 2_000);
    const held = gate();
    const first = pool.run(held.work);
    let ran = false;
    const waiting = pool.run(async () => {
      ran = true;
    });
    const refused = expect(waiting).rejects.toBeInstanceOf(HashingBusyException);
    jest.advanceTimersByTime(1_999);
    await flush();
    expect(ran).toBe(false);
    jest.advanceTimersByTime(1);
    await refused;
    held.open();
    await first;
    await flush();
    expect(ran).toBe(false);
    // The slot it would have had is free again.
    await expect(pool.run(async () => 'next')).resolves.toBe('next');
  });

  it('carries Retry-After: 1 and a 503', () => {
    const busy = new HashingBusyException();
    expect([busy.getStatus(), busy.retryAfterSeconds]).toEqual([503, 1]);
  });
});

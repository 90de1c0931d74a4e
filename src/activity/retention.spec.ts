import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ActivityRetention, PRUNE_INTERVAL_MS } from './retention.js';
import { RETENTION_MS } from './security-events.js';

const T0 = Date.UTC(2026, 2, 1, 12);

/** The job on a stand-in for Postgres that records each DELETE's cutoff and deletes `batches` in turn. */
function job(batches: number[] = [0]) {
  const cutoffs: Date[] = [];
  const db = {
    query: async (_sql: string, [cutoff]: [Date]) => {
      cutoffs.push(cutoff);
      return [[], batches.shift() ?? 0];
    },
  } as unknown as DataSource;
  return { retention: new ActivityRetention(db), cutoffs };
}

describe('ActivityRetention', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('removes what is older than 90 days as of now, every hour, and stops at shutdown', async () => {
    const { retention, cutoffs } = job([0, 0, 0]);
    retention.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(PRUNE_INTERVAL_MS - 1);
    expect(cutoffs).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(cutoffs).toEqual([new Date(T0 + PRUNE_INTERVAL_MS - RETENTION_MS)]);
    await jest.advanceTimersByTimeAsync(PRUNE_INTERVAL_MS);
    expect(cutoffs).toHaveLength(2);

    retention.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10 * PRUNE_INTERVAL_MS);
    expect(cutoffs).toHaveLength(2);
  });

  it('deletes in batches until a batch comes back short, and says how many it removed', async () => {
    const { retention, cutoffs } = job([5_000, 5_000, 12]);
    expect(await retention.pruneSecurityEvents(new Date(T0))).toBe(10_012);
    expect(cutoffs).toEqual(Array(3).fill(new Date(T0 - RETENTION_MS)));
    expect(RETENTION_MS).toBe(90 * 24 * 60 * 60_000);
  });
});

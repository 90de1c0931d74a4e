import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { REFUSAL_REPORT_MS, RefusalTally } from './sign-in-shedding.js';

describe('RefusalTally', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reports the refusals of a window in one line, and nothing for a quiet window', () => {
    const reports: number[] = [];
    const tally = new RefusalTally((count) => reports.push(count));
    for (let i = 0; i < 500; i++) tally.add();
    jest.advanceTimersByTime(REFUSAL_REPORT_MS - 1);
    expect(reports).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(reports).toEqual([500]);

    jest.advanceTimersByTime(REFUSAL_REPORT_MS * 3);
    expect(reports).toEqual([500]);
    tally.add();
    tally.add();
    jest.advanceTimersByTime(REFUSAL_REPORT_MS);
    expect(reports).toEqual([500, 2]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { formatDuration } from './duration.js';

describe('formatDuration', () => {
  it.each([
    [14 * 86_400_000, '14 days'],
    [12 * 3_600_000, '12 hours'],
    [120_000, '2 minutes'],
    [90_000, '90 seconds'],
    [1_000, '1 second'],
  ])('duration of %j ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

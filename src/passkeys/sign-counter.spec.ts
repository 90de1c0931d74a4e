import { describe, expect, it } from '@jest/globals';
import { signCounterAdvances } from './sign-counter.js';

describe('the sign counter', () => {
  it.each([
    [0, 0, true], // a synced passkey: no counter, every time
    [0, 1, true],
    [5, 6, true],
    [5, 1000, true],
    [5, 5, false], // the same count twice: a replay or a clone
    [5, 4, false], // backwards
    [5, 0, false], // a counter that stopped counting
  ])('after %i, %i is accepted: %s', (stored, received, accepted) => {
    expect(signCounterAdvances(stored, received)).toBe(accepted);
  });
});

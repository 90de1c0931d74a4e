import { describe, expect, it } from '@jest/globals';
import { tokensMatch } from './csrf.guard.js';

describe('tokensMatch', () => {
  const token = 'Q2hhbmdlIG1lOiBhIHJhbmRvbSB0b2tlbiBvZiAzMiBieXRlcw';

  it.each([
    [token, true],
    [`${token.slice(0, -1)}x`, false],
    [token.slice(0, -1), false],
    [`${token}x`, false],
    ['', false],
  ])('%j matches: %j', (sent, matches) => {
    expect(tokensMatch(sent, token)).toBe(matches);
  });
});

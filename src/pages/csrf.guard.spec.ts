import { describe, expect, it } from '@jest/globals';
import { signedOutToken, tokensMatch } from './csrf.guard.js';

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

describe('signedOutToken', () => {
  const nonce = 'bm9uY2Ugb2YgdGhpcyB2aXNpdG9yLCAzMiBieXRlcyBsb25n';

  it('is the same for the same nonce and secret, and differs with either', () => {
    const token = signedOutToken(nonce, 'secret one, at least 32 characters!!');
    expect(signedOutToken(nonce, 'secret one, at least 32 characters!!')).toBe(token);
    expect(signedOutToken(`${nonce.slice(0, -1)}x`, 'secret one, at least 32 characters!!')).not.toBe(token);
    expect(signedOutToken(nonce, 'secret two, at least 32 characters!!')).not.toBe(token);
  });

  it('does not reveal the nonce', () => {
    expect(signedOutToken(nonce, 'secret one, at least 32 characters!!')).not.toContain(nonce);
  });
});

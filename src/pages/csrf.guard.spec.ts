import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import signature from 'cookie-signature';
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

  it('is no session-cookie signature under the secret, for any id made of the nonce', () => {
    const secret = 'secret one, at least 32 characters!!';
    const token = signedOutToken(nonce, secret);
    for (const id of [nonce, `csrf:${nonce}`]) {
      // What express-session would accept as the signature of a cookie for session `id`.
      const cookieSignature = signature.sign(id, secret).slice(id.length + 1);
      expect(Buffer.from(token, 'base64url')).not.toEqual(Buffer.from(cookieSignature, 'base64'));
      expect(token).not.toBe(createHmac('sha256', secret).update(id).digest('base64url'));
    }
  });

  it('does not reveal the nonce', () => {
    expect(signedOutToken(nonce, 'secret one, at least 32 characters!!')).not.toContain(nonce);
  });
});

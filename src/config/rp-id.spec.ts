import { describe, expect, it } from '@jest/globals';
import { rpIdProblem } from './rp-id.js';

describe('rpIdProblem', () => {
  it.each([
    ['example.com', 'https://example.com'],
    ['login.example.com', 'https://login.example.com:8443'],
    ['example.com', 'https://login.example.com'],
    ['localhost', 'https://localhost:8443'],
    ['localhost', 'http://app.localhost:3000'],
  ])('accepts %s on %s', (rpId, origin) => {
    expect(rpIdProblem(rpId, origin)).toBeUndefined();
  });

  it.each([
    [
      'example.org',
      'https://example.com',
      'WEBAUTHN_RP_ID example.org is neither example.com (the host of https://example.com) nor a parent domain of it',
    ],
    ['login.example.com', 'https://example.com', 'WEBAUTHN_RP_ID login.example.com is neither example.com'],
    // A suffix that is not a whole label is another domain.
    ['ample.com', 'https://example.com', 'WEBAUTHN_RP_ID ample.com is neither example.com'],
    ['localhost', 'https://example.com', 'WEBAUTHN_RP_ID localhost is neither example.com'],
    ['com', 'https://example.com', 'WEBAUTHN_RP_ID com is a top-level domain, not a registrable parent domain of example.com'],
    ['127.0.0.1', 'https://example.com', 'WEBAUTHN_RP_ID 127.0.0.1 is neither example.com'],
    ['0.0.1', 'http://127.0.0.1', 'WEBAUTHN_RP_ID 0.0.1 is neither 127.0.0.1'],
    ['localhost', 'http://[::1]:3000', 'WEBAUTHN_RP_ID localhost is neither ::1 (the host of http://[::1]:3000)'],
  ])('fails %s on %s', (rpId, origin, what) => {
    expect(rpIdProblem(rpId, origin)).toEqual({ severity: 'fail', what: expect.stringContaining(what) });
  });

  it('warns of an IP address, which is its own RP id but where browsers offer no passkeys', () => {
    expect(rpIdProblem('127.0.0.1', 'http://127.0.0.1:3000')).toEqual({
      severity: 'warn',
      what: 'http://127.0.0.1:3000 is an IP address: browsers offer passkeys only on a domain name',
    });
  });
});

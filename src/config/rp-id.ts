import { isIP } from 'node:net';

/** Why browsers would refuse an RP id on an origin: `fail` when it can never work there, `warn` for an IP address. */
export interface RpIdProblem {
  severity: 'fail' | 'warn';
  what: string;
}

/**
 * Why browsers would refuse WEBAUTHN_RP_ID on pages of `origin`, or undefined when they accept it
 * (WebAuthn Level 3, 5.1.3 and 5.1.4): the RP id must be the page's host or a registrable suffix
 * of it (a parent domain, not a public suffix such as `com`). When it is not,
 * `navigator.credentials.create()` and `.get()` fail in the browser with a SecurityError before
 * anything reaches the app, which therefore logs nothing: the passkey twin of the Secure cookie
 * that never comes back (README, Troubleshooting). A host that is an IP address is its own RP id
 * by that rule, but browsers offer no passkeys there at all: a warning, as a deployment on an
 * address may not want passkeys.
 *
 * Without a public-suffix list, "registrable" is approximated: a parent domain with a dot in it
 * (`example.com` for `login.example.com`) passes, `com` does not, and `co.uk` for `example.co.uk`
 * is not caught (docs/doctor.md, What it does not know).
 */
export function rpIdProblem(rpId: string, origin: string): RpIdProblem | undefined {
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
  if (rpId === host) {
    return isIP(host) ? { severity: 'warn', what: `${origin} is an IP address: browsers offer passkeys only on a domain name` } : undefined;
  }
  if (!isIP(rpId) && !isIP(host) && host.endsWith(`.${rpId}`)) {
    if (rpId.includes('.') || rpId === 'localhost') return undefined;
    return { severity: 'fail', what: `WEBAUTHN_RP_ID ${rpId} is a top-level domain, not a registrable parent domain of ${host}` };
  }
  return { severity: 'fail', what: `WEBAUTHN_RP_ID ${rpId} is neither ${host} (the host of ${origin}) nor a parent domain of it` };
}

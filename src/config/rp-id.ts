import { isIP } from 'node:net';

/**
 * Why browsers would refuse WEBAUTHN_RP_ID on pages of `origin`, or undefined when they accept
 * it (WebAuthn Level 3, 5.1.3 and 5.1.4): the RP id must be the page's host or a registrable
 * suffix of it (a parent domain, not a public suffix such as `com`), and a domain, not an IP
 * address. When it is not, `navigator.credentials.create()` and `.get()` fail in the browser with
 * a SecurityError before anything reaches the app, which therefore logs nothing: the passkey twin
 * of the Secure cookie that never comes back (README, Troubleshooting).
 *
 * Without a public-suffix list, "registrable" is approximated: a parent domain with a dot in it
 * (`example.com` for `login.example.com`) passes, `com` does not, and `co.uk` for `example.co.uk`
 * is not caught (docs/doctor.md, What it does not know).
 */
export function rpIdProblem(rpId: string, origin: string): string | undefined {
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
  if (isIP(rpId) || isIP(host)) {
    return `${isIP(rpId) ? `WEBAUTHN_RP_ID ${rpId}` : `${origin}`} is an IP address: browsers offer passkeys only on a domain name`;
  }
  if (rpId === host) return undefined;
  const parent = host.endsWith(`.${rpId}`);
  if (parent && (rpId.includes('.') || rpId === 'localhost')) return undefined;
  if (parent) return `WEBAUTHN_RP_ID ${rpId} is a top-level domain, not a registrable parent domain of ${host}`;
  return `WEBAUTHN_RP_ID ${rpId} is neither ${host} (the host of ${origin}) nor a parent domain of it`;
}

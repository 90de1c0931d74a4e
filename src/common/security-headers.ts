import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The browser-facing security headers of every response (helmet), API and pages alike.
 *
 * The CSP is written out in full (`useDefaults: false`) so what it allows can be read here: the
 * pages are server-rendered HTML with one static stylesheet from this origin and no inline script
 * or style at all, so nothing else needs allowing. A page that adds an inline `<script>` or
 * `style="..."` is blocked by the browser: move it into a file under the static directory.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  // Nobody may frame the pages (clickjacking); X-Frame-Options below says the same to old browsers.
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'object-src': ["'none'"],
};

/** helmet with the options below, as an ordinary middleware on every request. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // HSTS is nginx's job: it terminates TLS and adds the header to every HTTPS response. Sending
    // it here as well would give browsers two headers, possibly with two different max-ages.
    strictTransportSecurity: false,
    // `same-origin` rather than `no-referrer`: both keep URLs from leaking to other sites, but
    // under `no-referrer` browsers send `Origin: null` on a page's own form POST (Fetch spec,
    // "append a request Origin header"), which SameOriginGuard would refuse as cross-site.
    referrerPolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
    // Kept from helmet's defaults: X-Content-Type-Options: nosniff, Cross-Origin-Opener-Policy
    // and -Resource-Policy: same-origin, Origin-Agent-Cluster, X-DNS-Prefetch-Control: off,
    // X-Download-Options, X-Permitted-Cross-Domain-Policies: none, X-XSS-Protection: 0.
  });
}

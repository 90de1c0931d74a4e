import { appRoutes } from '../route-policy-check.js';

/**
 * nginx limits unsafe requests to the sign-in, registration, password, reset and verification
 * endpoints to 10 per second per client address (burst 20), and a deployment keeps that bucket
 * across test files: every spec run against one long-lived deployment (compose in the smoke test,
 * or E2E_BASE_URL) shares it. So the test clients behave like a client of a rate-limited API: each
 * such request waits its turn and they start at most once per AUTH_POST_INTERVAL_MS, never in
 * nginx's way. Only the spec that tests nginx's limit bursts on purpose, with raw requests.
 */
export const AUTH_POST_INTERVAL_MS = 110;

/**
 * The requests nginx rate-limits: the unsafe requests to the routes marked `@RoutePolicy`
 * (src/common/route-policy.ts; route-policy-check.ts makes sure nginx limits exactly those), as
 * Express matches a path: any case, an optional trailing slash, `:param` one segment, no query.
 */
const RATE_LIMITED = appRoutes()
  .filter((route) => route.policy)
  .map((route) => {
    const pattern = route.path
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    return { method: route.method, path: new RegExp(`^${pattern}/?(\\?.*)?$`, 'i') };
  });

export function isRateLimited(method: string, path: string): boolean {
  return RATE_LIMITED.some((route) => route.method === method.toUpperCase() && route.path.test(path));
}

/**
 * Returns a function to await before each request: it resolves no sooner than `intervalMs` after
 * the previous call's turn, so calls start at most once per interval, also when made concurrently.
 */
export function pacer(intervalMs = AUTH_POST_INTERVAL_MS): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = Date.now();
    const turn = Math.max(now, next);
    next = turn + intervalMs;
    if (turn > now) await new Promise((resolve) => setTimeout(resolve, turn - now));
  };
}

/** The one pacer of this test file's clients (jest gives each file its own module instance). */
export const paceRateLimited = pacer();

import { appRoutes } from '../route-policy-check.js';

/**
 * nginx limits unsafe requests to the sign-in (both steps), registration, password, reset and
 * verification endpoints to 10 per second per client address (burst 20), and a deployment keeps
 * that bucket across test files: every spec run against one long-lived deployment (compose in the
 * smoke test, or E2E_BASE_URL) shares it. So the test clients behave like a client of a
 * rate-limited API: such requests from one address wait their turn and start at most once per
 * AUTH_POST_INTERVAL_MS, never in nginx's way. Only the tests of nginx's limit burst on purpose,
 * with raw requests, each from an address of its own on the native stack (ownAddress).
 */
import type { Target } from './target.js';

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

/** The pacer of this test file's requests from 127.0.0.1 (jest gives each file its own module instance). */
export const paceRateLimited = pacer();

const pacers = new Map<string, () => Promise<void>>();

/**
 * The pacer for requests from `localAddress` (127.0.0.1 when not given) to `target`. nginx keeps a
 * bucket per client address, so on the native stack each address has a pacer of its own and
 * clients on different addresses never wait for one another. A deployment reached through Docker
 * (E2E_BASE_URL) sees every client as one address: there all requests share one pacer.
 */
export function pacerFor(target: Pick<Target, 'stack'>, localAddress?: string): () => Promise<void> {
  if (!target.stack || localAddress === undefined) return paceRateLimited;
  let pace = pacers.get(localAddress);
  if (!pace) pacers.set(localAddress, (pace = pacer()));
  return pace;
}

let addresses = 0;

/**
 * A loopback address no other test in this file has (Linux routes all of 127.0.0.0/8 to lo), for
 * a test that drains nginx's bucket on purpose: the bucket is that test's alone, so no later test
 * waits for it to refill. Undefined against a deployment (no `target.stack`), where every client
 * arrives from one address anyway: there such a test ends with waitForRefill().
 */
export function ownAddress(target: Pick<Target, 'stack'>): string | undefined {
  if (!target.stack) return undefined;
  if (++addresses > 254) throw new Error('ownAddress: out of addresses in 127.0.100.0/24');
  return `127.0.100.${addresses}`;
}

/** nginx's bucket (10/s, burst 20) is full again 2 s after it was drained; half a second of slack. */
const REFILL_MS = 2_500;

/**
 * After a burst that drained the bucket of an address other tests share (a deployment's one
 * address, where the bucket also outlives this spec file): waits until it has refilled.
 */
export function waitForRefill(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, REFILL_MS));
}

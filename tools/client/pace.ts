/**
 * nginx limits unsafe requests to the sign-in, registration, password, reset and verification
 * endpoints to 10 per second per client address (burst 20), and a deployment keeps that bucket
 * across test files: every spec run against one long-lived deployment (compose in the smoke test,
 * or E2E_BASE_URL) shares it. So the test clients behave like a client of a rate-limited API: each
 * such request waits its turn and they start at most once per AUTH_POST_INTERVAL_MS, never in
 * nginx's way. Only the spec that tests nginx's limit bursts on purpose, with raw requests.
 */
export const AUTH_POST_INTERVAL_MS = 110;

/** The paths nginx rate-limits (nginx/templates/default.conf.template), as the app matches them. */
const RATE_LIMITED_PATH =
  /^\/(api\/auth\/(login|register|password-reset(\/confirm)?|verify-email(\/resend)?)|api\/profile(\/password)?|login|register|password|forgot-password|reset-password|verify-email)\/?(\?.*)?$/i;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isRateLimited(method: string, path: string): boolean {
  return UNSAFE.has(method.toUpperCase()) && RATE_LIMITED_PATH.test(path);
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

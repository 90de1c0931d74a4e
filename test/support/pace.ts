/**
 * nginx limits POSTs to the login and register endpoints to 10 per second per address (burst 20).
 * Specs that make many of those on purpose space them out so that nginx never answers in the
 * app's place; only the spec that tests nginx's limit bursts.
 */
export const AUTH_POST_INTERVAL_MS = 110;

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

/**
 * How a mail that could not be sent is tried again (pg-boss retries, docs/security.md, Account recovery):
 * after 2 s, then doubling, each wait with up to as much again of random jitter, 9 times.
 */
export const MAIL_RETRY = { retryDelay: 2, retryLimit: 9, retryBackoff: true } as const;

/**
 * The shortest time from the first failed attempt to the last retry: pg-boss waits between
 * `delay * 2^n` and `delay * 2^(n+1)` seconds after the n-th failure (n from 0), so the sum of the
 * lower bounds is what is guaranteed, whatever the jitter.
 */
export function minimumRetryWindowSeconds(retry: { retryDelay: number; retryLimit: number } = MAIL_RETRY): number {
  return retry.retryDelay * (2 ** retry.retryLimit - 1);
}

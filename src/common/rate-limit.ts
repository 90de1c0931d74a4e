import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TooManyRequestsException } from './too-many-requests.exception.js';

/*
 * The two ways the app uses a rate-limiter-flexible limiter. Its consume() rejects with a
 * RateLimiterRes when the key is over its points and with an Error when Redis fails; only the
 * first is the client's doing; the second must reach the outage handling (503) unchanged.
 */

/** Counts one point against `key`; throws a 429 with `Retry-After` when that goes over the limit. */
export async function consumeOr429(limiter: RateLimiterAbstract, key: string, message: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw new TooManyRequestsException(message, retryAfterSeconds(rejection));
  }
}

/** Counts one point against `key`; resolves false instead of counting past the limit. */
export async function admit(limiter: RateLimiterAbstract, key: string): Promise<boolean> {
  try {
    await limiter.consume(key);
    return true;
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return false;
  }
}

/** Whole seconds until the limiter lets `res`'s key in again, at least 1 (`Retry-After`). */
export function retryAfterSeconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

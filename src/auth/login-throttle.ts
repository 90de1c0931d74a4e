import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module.js';

// The brute-force limits of SPEC §5, in one place.
/** Consecutive failed logins for one email that lock it (a success starts the count over). */
export const EMAIL_FAILURE_LIMIT = 10;
/** Failed logins from one client address that are tolerated; one more locks the address. */
export const ADDRESS_FAILURE_LIMIT = 100;
/**
 * Both counters run in a fixed window that opens at the first failure; a locked email or address
 * answers 429 until that window closes.
 */
export const FAILURE_WINDOW_SECONDS = 15 * 60;

/**
 * Redis key prefixes (`login-fails:email:<email>`, `login-fails:ip:<address>`). Plain, not
 * hashed, so an operator can unlock a user with one `DEL`.
 */
const EMAIL_KEY_PREFIX = 'login-fails:email';
const ADDRESS_KEY_PREFIX = 'login-fails:ip';

/**
 * Login brute-force limits, per email and per client address. The counters live in Redis (the
 * app's one client), so every app instance sees the same counts.
 *
 * Each attempt is counted *before* the password is checked and given back when it turns out not
 * to be a failure. Checking first and counting after the check would let an attacker fire a
 * hundred guesses at once, all passing the check before the first failure is recorded; an atomic
 * increment up front lets exactly the allowed number through, however many arrive together.
 */
@Injectable()
export class LoginThrottle {
  private readonly byEmail: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient) {
    // useRedisPackage: the client is node-redis (v4+ API: eval with {keys, arguments}, pTTL), not ioredis.
    const common = { storeClient: redis, useRedisPackage: true, duration: FAILURE_WINDOW_SECONDS };
    // A limiter refuses once more than `points` are counted. Attempt n is counted on arrival, so
    // it is refused when n - 1 earlier failures reach the email limit, or exceed the address one.
    this.byEmail = new RateLimiterRedis({ ...common, keyPrefix: EMAIL_KEY_PREFIX, points: EMAIL_FAILURE_LIMIT });
    this.byAddress = new RateLimiterRedis({
      ...common,
      keyPrefix: ADDRESS_KEY_PREFIX,
      points: ADDRESS_FAILURE_LIMIT + 1,
    });
  }

  /**
   * Runs `verify` (the password check) under the limits and returns what it returns.
   *
   * - Throws TooManyRequestsException (429, with Retry-After) without calling `verify` when the
   *   email or the address is locked.
   * - An UnauthorizedException from `verify` is a failure: it stays counted, and is rethrown.
   * - Success resets the email's count; any other error (an outage) is not the user's failure
   *   and is not counted.
   *
   * `email` must be normalised as the user store does it (trimmed, lower-cased: LoginDto).
   */
  async attempt<T>(email: string, ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    // req.ip is undefined only when the socket is already gone; such requests share one bucket.
    const address = ip ?? 'unknown';
    await this.take(this.byAddress, address, 'Too many failed logins from this address; try again later');
    try {
      await this.take(this.byEmail, email, 'Too many failed logins for this email; try again later');
    } catch (error) {
      await this.byAddress.reward(address); // refused before any password was checked
      throw error;
    }

    let result: T;
    try {
      result = await verify();
    } catch (error) {
      if (!(error instanceof UnauthorizedException)) {
        // Best effort: when Redis itself is what failed, the original error is the one to report.
        await Promise.all([this.byEmail.reward(email), this.byAddress.reward(address)]).catch(() => undefined);
      }
      throw error;
    }
    await Promise.all([this.byEmail.delete(email), this.byAddress.reward(address)]);
    return result;
  }

  /** Counts one attempt against `key`; throws a 429 when that goes over the limit. */
  private async take(limiter: RateLimiterRedis, key: string, message: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when over the limit, with an Error when Redis fails.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new TooManyRequestsException(message, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module.js';

// The mail limits (README, Account recovery), in one place (the password-check limits are in auth/credential-throttle.ts).
/** Mails one email address may be sent per window: reset links and verification links together. */
export const MAILS_PER_EMAIL = 5;
/** Mail requests (reset, resend) one client address may make per window, whatever the emails. */
export const MAIL_REQUESTS_PER_ADDRESS = 20;
export const MAIL_WINDOW_SECONDS = 60 * 60;

/** Redis key prefixes (`mail-requests:email:<email>`, `mail-requests:ip:<address>`): plain, so an operator can DEL one. */
const EMAIL_KEY_PREFIX = 'mail-requests:email';
const ADDRESS_KEY_PREFIX = 'mail-requests:ip';

/**
 * Limits on requests that send mail, per email and per client address, counted in Redis so every
 * app instance shares them. An email is counted whether or not it has an account, so a 429 tells
 * nothing about who is registered. The counts are taken before anything is queued: concurrent
 * requests cannot slip past the limit together.
 */
@Injectable()
export class MailThrottle {
  private readonly byEmail: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient) {
    const common = { storeClient: redis, useRedisPackage: true, duration: MAIL_WINDOW_SECONDS };
    this.byEmail = new RateLimiterRedis({ ...common, keyPrefix: EMAIL_KEY_PREFIX, points: MAILS_PER_EMAIL });
    this.byAddress = new RateLimiterRedis({ ...common, keyPrefix: ADDRESS_KEY_PREFIX, points: MAIL_REQUESTS_PER_ADDRESS });
  }

  /** Counts one mail request; throws a 429 with Retry-After when the address or the email is over its limit. */
  async take(email: string, ip: string | undefined): Promise<void> {
    const address = ip ?? 'unknown';
    await this.consume(this.byAddress, address, 'Too many requests from this address; try again later');
    try {
      await this.consume(this.byEmail, email, 'Too many mails requested for this email; try again later');
    } catch (error) {
      await this.byAddress.reward(address); // nothing is sent: the address is not charged
      throw error;
    }
  }

  /** Counts a mail the app sends on its own (the one at registration) against the email's budget. */
  async record(email: string): Promise<void> {
    await this.byEmail.penalty(email);
  }

  private async consume(limiter: RateLimiterRedis, key: string, message: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      // A RateLimiterRes when over the limit, an Error when Redis fails (then a 503).
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new TooManyRequestsException(message, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
  }
}

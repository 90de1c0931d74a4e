import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { clientKey } from '../common/client-address.js';
import { admit, consumeOr429, retryAfterSeconds } from '../common/rate-limit.js';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';

// The mail limits (docs/security.md, Mail limits), in one place (the password-check limits are in auth/credential-throttle.ts).
/**
 * Mails one email address may be sent per window, whatever their kind (reset, verification, the
 * one at registration; security notices are never counted, recovery-mail.ts says why); also the
 * reset and resend requests one email may make per window.
 */
export const MAILS_PER_EMAIL = 5;
/** Mail requests (reset, resend) one client address may make per window, whatever the emails. */
export const MAIL_REQUESTS_PER_ADDRESS = 20;
/** Registrations from one client address per window that get their verification mail; later ones get none. */
export const REGISTRATION_MAILS_PER_ADDRESS = 10;
export const MAIL_WINDOW_SECONDS = 60 * 60;

/**
 * Redis key prefixes, plain so an operator can DEL one: `mail-requests:email:<email>` and
 * `mail-requests:ip:<client>` count requests (what answers 429), `mails-sent:email:<email>` the
 * mails an inbox was sent, `mail-registrations:ip:<client>` the registration mails a client caused.
 */
const EMAIL_KEY_PREFIX = 'mail-requests:email';
const ADDRESS_KEY_PREFIX = 'mail-requests:ip';
const SENT_KEY_PREFIX = 'mails-sent:email';
const REGISTRATION_KEY_PREFIX = 'mail-registrations:ip';

const EMAIL_MESSAGE = 'Too many mails requested for this email; try again later';

/**
 * Limits on mail, in Redis so every app instance shares them. A client address counts as its /64
 * for IPv6 (clientKey), as in the login limits.
 *
 * Two things are counted per email. Requests (reset, resend) are counted whether or not the email
 * has an account, and only they decide a request's 429: what the app sent by itself (the
 * registration mail) never changes that answer, so the answer tells nothing about who is
 * registered. Mails actually sent are counted by the worker (recovery-mail.ts) when it sends: an
 * inbox gets at most MAILS_PER_EMAIL an hour of every kind together (security notices aside), and
 * a mail past that is dropped, the request still answered 202 as for an unknown email. Request
 * counts are taken before anything is queued: concurrent requests cannot slip past the limit
 * together.
 */
@Injectable()
export class MailThrottle {
  private readonly byEmail: RateLimiterRedis;
  private readonly byAddress: RateLimiterRedis;
  private readonly sent: RateLimiterRedis;
  private readonly registrations: RateLimiterRedis;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient) {
    const common = { storeClient: redis, useRedisPackage: true, duration: MAIL_WINDOW_SECONDS };
    this.byEmail = new RateLimiterRedis({ ...common, keyPrefix: EMAIL_KEY_PREFIX, points: MAILS_PER_EMAIL });
    this.byAddress = new RateLimiterRedis({ ...common, keyPrefix: ADDRESS_KEY_PREFIX, points: MAIL_REQUESTS_PER_ADDRESS });
    this.sent = new RateLimiterRedis({ ...common, keyPrefix: SENT_KEY_PREFIX, points: MAILS_PER_EMAIL });
    this.registrations = new RateLimiterRedis({ ...common, keyPrefix: REGISTRATION_KEY_PREFIX, points: REGISTRATION_MAILS_PER_ADDRESS });
  }

  /** Counts one mail request; throws a 429 with Retry-After when the address or the email is over its limit. */
  async take(email: string, ip: string | undefined): Promise<void> {
    const address = clientKey(ip);
    await consumeOr429(this.byAddress, address, 'Too many requests from this address; try again later');
    try {
      await consumeOr429(this.byEmail, email, EMAIL_MESSAGE);
    } catch (error) {
      await this.byAddress.reward(address); // nothing is sent: the address is not charged
      throw error;
    }
  }

  /**
   * As take(), for the signed-in owner asking for another verification mail: also a 429 when the
   * inbox had its mails of the hour (the registration mail among them), since none would go. The
   * owner knows the account exists, so this tells nothing.
   */
  async takeForOwner(email: string, ip: string | undefined): Promise<void> {
    await this.take(email, ip);
    const sent = await this.sent.get(email);
    if (sent && sent.consumedPoints >= MAILS_PER_EMAIL) {
      await Promise.all([this.byAddress.reward(clientKey(ip)), this.byEmail.reward(email)]);
      throw new TooManyRequestsException(EMAIL_MESSAGE, retryAfterSeconds(sent));
    }
  }

  /** For the worker, just before it sends: counts the mail, or resolves false when the inbox had its mails of the hour. */
  async admitMail(email: string): Promise<boolean> {
    return admit(this.sent, email);
  }

  /** For the worker, when a send failed: nobody received the mail, so it does not count. */
  async refundMail(email: string): Promise<void> {
    await this.sent.reward(email);
  }

  /** Whether a registration from this client may queue its verification mail (it counts it). */
  async admitRegistrationMail(ip: string | undefined): Promise<boolean> {
    return admit(this.registrations, clientKey(ip));
  }
}

import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { EventOrigin } from '../activity/security-event.js';
import { SecurityEvents } from '../activity/security-events.js';
import { clientKey } from '../common/client-address.js';
import { consumeOr429 } from '../common/rate-limit.js';
import { MailQueue } from '../mail/mail-queue.js';
import { MailThrottle } from '../mail/mail-throttle.js';
import { SecurityNotices } from '../mail/security-notices.js';
import { PasswordService } from '../passwords/password.service.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { UserSessions } from '../session/user-sessions.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AccountTokensService } from './account-tokens.service.js';

export const RESET_REQUESTED = 'If that email is registered, a reset link is on its way';
export const INVALID_RESET_LINK = 'Invalid or expired reset link';
/**
 * Reset confirmations one client (an IPv6 /64) may send per window, valid or not: far more than a
 * person needs, far fewer than a flood of guessed links (docs/security.md, Brute force).
 */
export const RESET_CONFIRMS_PER_ADDRESS = 20;
export const RESET_CONFIRM_WINDOW_SECONDS = 15 * 60;

@Injectable()
export class PasswordResetService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: UserSessions,
    private readonly tokens: AccountTokensService,
    private readonly queue: MailQueue,
    private readonly throttle: MailThrottle,
    private readonly notices: SecurityNotices,
    private readonly events: SecurityEvents,
    @Inject(REDIS_CLIENT) redis: RedisClient,
  ) {
    this.confirmsByAddress = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      keyPrefix: 'reset-confirms:ip',
      points: RESET_CONFIRMS_PER_ADDRESS,
      duration: RESET_CONFIRM_WINDOW_SECONDS,
    });
  }

  private readonly confirmsByAddress: RateLimiterRedis;

  /**
   * Counts the request and queues the mail; nothing here depends on whether the email has an
   * account (the worker finds out) or on the mail server (the worker talks to it), so every
   * request gets the same answer in the same time.
   */
  async request(email: string, ip: string | undefined): Promise<void> {
    await this.throttle.take(email, ip);
    await this.queue.enqueue({ kind: 'password-reset', email });
  }

  /** The email of the account a reset link would open now, if it would. */
  async accountOf(token: string): Promise<string | undefined> {
    return (await this.tokens.owner(token, 'password-reset'))?.email;
  }

  /**
   * Sets the new password and ends every session of the user, then returns the user. All in one
   * transaction with the token's deletion and the activity log's record of it (made by `origin`):
   * if anything fails, the link still works for a retry. Following the link proves the inbox, so
   * it also verifies the email (which lets a user locked out by REQUIRE_VERIFIED_EMAIL back in).
   * Once committed, the owner is mailed a notice (security-notices.ts), whatever happens after.
   */
  async confirm(token: string, newPassword: string, origin: EventOrigin): Promise<User> {
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    await consumeOr429(this.confirmsByAddress, clientKey(origin.ip), 'Too many requests from this address; try again later');
    const now = new Date();
    // The token before the hash: a bogus confirmation costs a lookup, not a hashing thread.
    if (!(await this.tokens.owner(token, 'password-reset', now))) throw new BadRequestException(INVALID_RESET_LINK);
    const passwordHash = await this.passwords.hash(newPassword);
    const userId = await this.tokens.transaction(async (m) => {
      const id = await this.tokens.spend(m, token, 'password-reset', now);
      if (!id) throw new BadRequestException(INVALID_RESET_LINK);
      // As for a password change (docs/sessions.md, Sessions are bound to the password): from here on the user's sessions are checked
      // against Postgres, so whatever fails after the commit, none signed in before it passes.
      await this.sessions.credentialChanging(id);
      await this.users.setPasswordHash(m, id, passwordHash, now);
      await this.users.markEmailVerified(m, id, now);
      await this.tokens.spendAll(m, id, 'password-reset');
      await this.events.record(m, id, 'password-reset', origin, null, now);
      // Last, before the commit: should Redis fail, nothing is changed and the link still works.
      await this.sessions.revokeAll(id);
      return id;
    });
    try {
      await this.sessions.credentialChanged(userId, now);
    } finally {
      await this.notices.notify(userId, 'password-reset');
    }
    return (await this.users.findById(userId))!;
  }
}

import { BadRequestException, Injectable } from '@nestjs/common';
import { PasswordService } from '../auth/password.service.js';
import { MailQueue } from '../mail/mail-queue.js';
import { MailThrottle } from '../mail/mail-throttle.js';
import { SessionService } from '../session/session.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AccountTokensService } from './account-tokens.service.js';

export const RESET_REQUESTED = 'If that email is registered, a reset link is on its way';
export const INVALID_RESET_LINK = 'Invalid or expired reset link';

@Injectable()
export class PasswordResetService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly tokens: AccountTokensService,
    private readonly queue: MailQueue,
    private readonly throttle: MailThrottle,
  ) {}

  /**
   * Counts the request and queues the mail; nothing here depends on whether the email has an
   * account (the worker finds out) or on the mail server (the worker talks to it), so every
   * request gets the same answer in the same time.
   */
  async request(email: string, ip: string | undefined): Promise<void> {
    await this.throttle.take(email, ip);
    await this.queue.enqueue({ kind: 'password-reset', email });
  }

  /**
   * Sets the new password and ends every session of the user, then returns the user (the pages sign
   * the browser in afresh). All in one transaction with the token's deletion: if anything fails,
   * the link still works for a retry. Following the link proves the inbox, so it also verifies the
   * email (which lets a user locked out by REQUIRE_VERIFIED_EMAIL back in).
   */
  async confirm(token: string, newPassword: string): Promise<User> {
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    const passwordHash = await this.passwords.hash(newPassword);
    const now = new Date();
    const userId = await this.tokens.transaction(async (m) => {
      const id = await this.tokens.spend(m, token, 'password-reset', now);
      if (!id) throw new BadRequestException(INVALID_RESET_LINK);
      // As for a password change (README, Sessions): from here on the user's sessions are checked
      // against Postgres, so whatever fails after the commit, none signed in before it passes.
      await this.sessions.credentialChanging(id);
      await this.users.setPasswordHash(m, id, passwordHash, now);
      await this.users.markEmailVerified(m, id, now);
      await this.tokens.spendAll(m, id, 'password-reset');
      // Last, before the commit: should Redis fail, nothing is changed and the link still works.
      await this.sessions.revokeAll(id);
      return id;
    });
    await this.sessions.credentialChanged(userId, now);
    return (await this.users.findById(userId))!;
  }
}

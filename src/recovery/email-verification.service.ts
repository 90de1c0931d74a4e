import { BadRequestException, ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { EventOrigin } from '../activity/security-event.js';
import { SecurityEvents } from '../activity/security-events.js';
import { MailQueue } from '../mail/mail-queue.js';
import { MailThrottle } from '../mail/mail-throttle.js';
import { UsersService } from '../users/users.service.js';
import { AccountTokensService } from './account-tokens.service.js';

export const VERIFICATION_SENT = 'A new verification link is on its way';
export const INVALID_VERIFY_LINK = 'Invalid or expired verification link';
export const ALREADY_VERIFIED = 'Email is already verified';

@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokensService,
    private readonly queue: MailQueue,
    private readonly throttle: MailThrottle,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * Another verification mail for the signed-in user, under the same limits as reset requests; a
   * 429 also when the inbox had its mails of the hour, as none would be sent (MailThrottle).
   */
  async resend(userId: string, ip: string | undefined): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Not authenticated');
    if (user.emailVerifiedAt) throw new ConflictException(ALREADY_VERIFIED);
    await this.throttle.takeForOwner(user.email, ip);
    await this.queue.enqueue({ kind: 'verify-email', userId });
  }

  /**
   * Sets email_verified_at; the token and every other verification token of the user are spent,
   * and the activity log records it (made by `origin`), in one transaction.
   */
  async verify(token: string, origin: EventOrigin): Promise<void> {
    const now = new Date();
    await this.tokens.transaction(async (m) => {
      const id = await this.tokens.spend(m, token, 'verify-email', now);
      if (!id) throw new BadRequestException(INVALID_VERIFY_LINK);
      await this.users.markEmailVerified(m, id, now);
      await this.tokens.spendAll(m, id, 'verify-email');
      await this.events.record(m, id, 'email-verified', origin, null, now);
    });
  }
}
